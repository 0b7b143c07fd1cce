import QtQuick

// One line about what does not work right now (offline, a printer problem): calm, never
// in the way. Two lines on a narrow screen rather than a cut-off message.
Rectangle {
    height: visible ? Math.max(56, label.height + 20) : 0
    // Not twice: a notice that already says the same thing has the citizen's attention.
    visible: root.vm.banner !== "" && !(root.vm.notice && root.vm.notice.message === root.vm.banner)
    color: "#fff4d6"
    Text {
        id: label
        anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; leftMargin: root.gap; rightMargin: root.gap }
        text: "⚠  " + root.vm.banner
        wrapMode: Text.WordWrap
        maximumLineCount: 2
        elide: Text.ElideRight
        color: "#6b4b00"; font.pixelSize: root.fontSmall
    }
}
