import QtQuick

// Village name, who is signed in, and the way home.
Rectangle {
    height: 96
    color: root.primary

    Column {
        id: who
        anchors {
            left: parent.left; leftMargin: root.gap; verticalCenter: parent.verticalCenter
            right: home.visible ? home.left : parent.right; rightMargin: root.gap
        }
        Text {
            width: parent.width; elide: Text.ElideRight
            text: root.vm.village ? qsTr("Desa %1").arg(root.vm.village.name) : qsTr("Anjungan Pelayanan Mandiri")
            color: "white"; font.pixelSize: root.fontTitle - 4; font.bold: true
        }
        Text {
            width: parent.width; elide: Text.ElideRight
            text: root.vm.resident ? qsTr("%1  ·  NIK %2").arg(root.vm.resident.name).arg(root.vm.resident.nik) : qsTr("Anjungan Pelayanan Mandiri")
            color: "#d7f0ee"; font.pixelSize: root.fontSmall
        }
    }

    BigButton {
        id: home
        objectName: "homeButton"
        anchors { right: parent.right; rightMargin: root.gap; verticalCenter: parent.verticalCenter }
        height: 72
        primary: false
        text: qsTr("Kembali ke awal")
        // Not where the screen has its own way out already (one "Kembali ke awal" is enough).
        visible: root.vm.canGoHome === true && ["notice", "done"].indexOf(root.vm.screen) < 0
        onClicked: kiosk.home()
    }
}
