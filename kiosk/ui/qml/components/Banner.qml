import QtQuick

// One line about what does not work right now (offline, a printer problem).
Rectangle {
    height: visible ? 56 : 0
    // Not twice: a notice that already says the same thing has the citizen's attention.
    visible: root.vm.banner !== "" && !(root.vm.notice && root.vm.notice.message === root.vm.banner)
    color: "#fff4d6"
    Text {
        anchors { fill: parent; leftMargin: root.gap; rightMargin: root.gap }
        verticalAlignment: Text.AlignVCenter
        text: "⚠  " + root.vm.banner
        elide: Text.ElideRight
        color: "#6b4b00"; font.pixelSize: root.fontSmall
    }
}
