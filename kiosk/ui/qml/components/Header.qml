import QtQuick

// Village name, who is signed in, the other language and the way home. On a narrow
// (portrait) screen the buttons take a second row, so the names are never cut short.
Rectangle {
    id: header
    readonly property int rowHeight: Math.round(96 * root.textScale)
    readonly property bool twoRows: width < 1000
    height: twoRows ? 2 * rowHeight - 12 : rowHeight
    color: root.primary

    Image {
        id: logo
        objectName: "headerLogo"
        x: root.gap
        y: (header.rowHeight - height) / 2
        visible: root.vm.logo !== ""
        source: root.vm.logo
        height: header.rowHeight - 24
        width: visible ? height : 0
        fillMode: Image.PreserveAspectFit
        asynchronous: true
        Accessible.role: Accessible.Graphic
        Accessible.name: qsTr("Lambang desa")
    }

    Column {
        id: who
        x: logo.visible ? logo.x + logo.width + 16 : root.gap
        y: (header.rowHeight - height) / 2
        width: (header.twoRows ? header.width : buttons.x) - x - root.gap
        Text {
            width: parent.width; elide: Text.ElideRight
            text: root.vm.village ? qsTr("Desa %1").arg(root.vm.village.name) : qsTr("Anjungan Pelayanan Mandiri")
            color: "white"; font.pixelSize: root.fontTitle - 4; font.bold: true
        }
        Text {
            width: parent.width; elide: Text.ElideRight
            text: root.vm.resident ? qsTr("%1  ·  NIK %2").arg(root.vm.resident.name).arg(root.vm.resident.nik) : qsTr("Anjungan Pelayanan Mandiri")
            color: root.onPrimaryMuted; font.pixelSize: root.fontSmall
        }
    }

    Row {
        id: buttons
        x: header.width - width - root.gap
        y: header.twoRows ? header.rowHeight - 12 + (header.rowHeight - 12 - height) / 2 - 6
                          : (header.rowHeight - height) / 2
        spacing: root.gap

        // The other language, said in that language (the citizen may not read this one).
        BigButton {
            objectName: "languageButton"
            height: 72
            primary: false; onDark: true
            visible: kiosk.nextLanguage !== kiosk.language
            text: languageNames[kiosk.nextLanguage] || kiosk.nextLanguage
            onClicked: kiosk.setLanguage(kiosk.nextLanguage)
        }

        BigButton {
            objectName: "homeButton"
            height: 72
            primary: false
            text: qsTr("Kembali ke awal")
            // Not where the screen has its own way out already (one "Kembali ke awal" is enough).
            visible: root.vm.canGoHome === true && ["notice", "done"].indexOf(root.vm.screen) < 0
            onClicked: kiosk.home()
        }
    }
}
