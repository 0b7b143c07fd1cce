import QtQuick
import "../components"

// The first thing a citizen sees: where they are, and how to begin.
Rectangle {
    color: root.primary

    // The whole screen is the start button; it is announced as one.
    Item {
        anchors.fill: parent
        Accessible.role: Accessible.Button
        Accessible.name: qsTr("Mulai: sentuh layar")
        Accessible.onPressAction: kiosk.start()
        MouseArea {
            objectName: "startArea"
            anchors.fill: parent
            onClicked: kiosk.start()
        }
    }

    BigButton {
        objectName: "languageButton"
        anchors { top: parent.top; right: parent.right; margins: root.gap }
        height: 72
        onDark: true
        visible: kiosk.nextLanguage !== kiosk.language
        text: languageNames[kiosk.nextLanguage] || kiosk.nextLanguage
        onClicked: kiosk.setLanguage(kiosk.nextLanguage)
    }

    Column {
        anchors.centerIn: parent
        width: parent.width - 160
        spacing: 28

        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            text: root.vm.village ? qsTr("Pemerintah Desa %1").arg(root.vm.village.name) : qsTr("Anjungan Pelayanan Mandiri")
            color: root.onPrimaryMuted; font.pixelSize: root.fontTitle
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
            text: qsTr("Surat keterangan, SKTM, pengantar SKCK dan lainnya, tanpa antre.")
            color: root.onPrimaryMuted; font.pixelSize: root.fontBody
        }
        Item { width: 1; height: 20 }
        BigButton {
            objectName: "startButton"
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
            text: qsTr("atau tempelkan e-KTP Anda pada pembaca kartu")
            color: "white"; font.pixelSize: root.fontBody + 2
        }
        // Coming back for a letter: the receipt's pickup code (typed, or its QR scanned).
        BigButton {
            objectName: "pickupButton"
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
        // How the screens look for this citizen: chosen here, before starting.
        Row {
            objectName: "displayChoices"
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: root.gap
            BigButton {
                objectName: "largeTextButton"
                onDark: true; quiet: true
                height: 72
                text: root.vm.largeText ? qsTr("Huruf biasa") : qsTr("Huruf besar")
                onClicked: kiosk.setLargeText(!root.vm.largeText)
            }
            BigButton {
                objectName: "highContrastButton"
                onDark: true; quiet: true
                height: 72
                text: root.vm.highContrast ? qsTr("Warna biasa") : qsTr("Kontras tinggi")
                onClicked: kiosk.setHighContrast(!root.vm.highContrast)
            }
        }
    }

}
