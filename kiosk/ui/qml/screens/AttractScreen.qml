import QtQuick
import "../components"

// The first thing a citizen sees: where they are, and how to begin.
Rectangle {
    id: attract
    color: root.primary
    // The village office has closed the kiosk for now: say why instead of inviting in.
    readonly property bool closed: root.vm.outOfService !== null && root.vm.outOfService !== undefined
    readonly property bool compact: attract.height < 1000 && root.textScale > 1

    // The whole screen is the start button; it is announced as one.
    Item {
        anchors.fill: parent
        Accessible.role: Accessible.Button
        Accessible.name: qsTr("Mulai: sentuh layar")
        Accessible.onPressAction: kiosk.start()
        MouseArea {
            objectName: "startArea"
            anchors.fill: parent
            enabled: !attract.closed
            onClicked: kiosk.start()
        }
    }

    // How the screens look for this citizen, chosen before starting, and the language.
    // One bar across the top; on a narrow screen with large text it takes two rows.
    Flow {
        id: topBar
        objectName: "displayChoices"
        anchors { top: parent.top; left: parent.left; right: parent.right; margins: root.gap }
        spacing: root.gap
        BigButton {
            objectName: "largeTextButton"
            onDark: true; quiet: true
            height: 72; minWidth: 0
            text: root.vm.largeText ? qsTr("Huruf biasa") : qsTr("Huruf besar")
            onClicked: kiosk.setLargeText(!root.vm.largeText)
        }
        BigButton {
            objectName: "highContrastButton"
            onDark: true; quiet: true
            height: 72; minWidth: 0
            text: root.vm.highContrast ? qsTr("Warna biasa") : qsTr("Kontras tinggi")
            onClicked: kiosk.setHighContrast(!root.vm.highContrast)
        }
        BigButton {
            objectName: "languageButton"
            height: 72; minWidth: 0
            onDark: true
            visible: kiosk.nextLanguage !== kiosk.language
            text: languageNames[kiosk.nextLanguage] || kiosk.nextLanguage
            onClicked: kiosk.setLanguage(kiosk.nextLanguage)
        }
    }

    // Centred in the room between the buttons at the top and the notices below.
    Column {
        id: main
        objectName: "attractMain"
        readonly property int below: topBar.y + topBar.height
        anchors.horizontalCenter: parent.horizontalCenter
        y: below + Math.max(0, (info.y - below - height) / 2)
        width: parent.width - 160
        spacing: attract.compact ? 16 : 28

        // The village's emblem beside its name: one line's height, so the rest still fits.
        Row {
            id: title
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: 20
            Image {
                id: logo
                objectName: "villageLogo"
                anchors.verticalCenter: parent.verticalCenter
                visible: root.vm.logo !== ""
                source: root.vm.logo
                height: Math.round(root.fontTitle * 2.4)
                width: visible ? height : 0
                fillMode: Image.PreserveAspectFit
                asynchronous: true
                Accessible.role: Accessible.Graphic
                Accessible.name: qsTr("Lambang desa")
            }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                width: Math.min(implicitWidth, main.width - logo.width - title.spacing)
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: root.vm.village ? qsTr("Pemerintah Desa %1").arg(root.vm.village.name) : qsTr("Anjungan Pelayanan Mandiri")
                color: root.onPrimaryMuted; font.pixelSize: root.fontTitle
            }
        }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
            text: qsTr("Layanan Surat Mandiri")
            color: "white"; font.pixelSize: root.fontHero; font.bold: true
        }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
            objectName: "serviceList"
            // The letters on offer, from the catalogue; a general line until it has loaded.
            text: root.vm.services.length > 0
                  ? root.vm.services.map(x => x.name).join("  ·  ")
                  : qsTr("Surat keterangan, SKTM, pengantar SKCK dan lainnya, tanpa antre.")
            color: root.onPrimaryMuted; font.pixelSize: root.fontBody
        }
        Item { width: 1; height: root.textScale > 1 ? 0 : 20 }
        Rectangle {
            objectName: "outOfService"
            visible: attract.closed
            anchors.horizontalCenter: parent.horizontalCenter
            width: Math.min(parent.width, 1100)
            height: closedText.height + 2 * root.gap
            radius: 16
            color: root.card
            Column {
                id: closedText
                x: root.gap; y: root.gap
                width: parent.width - 2 * root.gap
                spacing: 12
                Text {
                    width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                    text: attract.closed ? root.vm.outOfService.title : ""
                    color: root.danger; font.pixelSize: root.fontTitle; font.bold: true
                }
                Text {
                    width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                    text: attract.closed ? root.vm.outOfService.reason : ""
                    color: root.ink; font.pixelSize: root.fontBody
                }
                Text {
                    width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                    text: attract.closed ? root.vm.outOfService.advice : ""
                    color: root.ink; font.pixelSize: root.fontBody
                }
                Text {
                    width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                    visible: text !== ""
                    text: attract.closed ? root.vm.outOfService.phone : ""
                    color: root.muted; font.pixelSize: root.fontSmall
                }
            }
        }
        BigButton {
            objectName: "startButton"
            visible: !attract.closed
            anchors.horizontalCenter: parent.horizontalCenter
            width: 560; height: 110
            primary: false
            text: qsTr("Sentuh layar untuk mulai")
            onClicked: kiosk.start()
        }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
            visible: !attract.closed
            text: qsTr("atau tempelkan e-KTP Anda pada pembaca kartu")
            color: "white"; font.pixelSize: root.fontBody + 2
        }
        // Coming back for a letter: the receipt's pickup code (typed, or its QR scanned).
        BigButton {
            objectName: "pickupButton"
            visible: !attract.closed
            anchors.horizontalCenter: parent.horizontalCenter
            width: 560
            onDark: true
            text: qsTr("Ambil surat dengan struk")
            onClicked: kiosk.openPickup()
        }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            // Offline is said by the banner above (vm.banner), in the flow's own words.
            visible: !root.vm.ready && !root.vm.offline
            text: qsTr("Menyiapkan layanan…")
            color: root.onPrimaryMuted; font.pixelSize: root.fontBody; font.italic: true
        }
    }

    // The technician's hidden spot: five quick taps here ask for the technician PIN
    // (kiosk/technician/gesture.py). It shows nothing, and a tap on it starts no session.
    Item {
        objectName: "technicianCorner"
        anchors { right: parent.right; bottom: parent.bottom }
        width: 96; height: 96
        TapHandler {
            gesturePolicy: TapHandler.WithinBounds
            onTapped: kiosk.technicianTap()
        }
    }

    // The village office's notices and desk hours, from the backend's kiosk configuration.
    Column {
        id: info
        objectName: "attractInfo"
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom; margins: root.gap }
        spacing: 6
        visible: root.vm.announcements.length > 0 || root.vm.openingHours.length > 0
        Repeater {
            model: root.vm.announcements
            Text {
                required property string modelData
                width: info.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                text: "•  " + modelData
                color: "white"; font.pixelSize: root.fontSmall
            }
        }
        Text {
            width: info.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            visible: root.vm.openingHours.length > 0
            text: qsTr("Jam pelayanan kantor desa: %1").arg(
                root.vm.openingHours.map(h => h.days + " " + h.hours).join("  ·  "))
            color: root.onPrimaryMuted; font.pixelSize: root.fontSmall
        }
    }
}
