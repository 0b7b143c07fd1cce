import QtQuick
import QtQuick.Window
import "components"

// The kiosk window. It renders `kiosk.vm` (the flow's view model) and sends intents
// back through `kiosk`; it decides nothing. Only the current screen is loaded.
Window {
    id: root
    // Size and full screen are set from Python before the window is shown (see app.py).
    width: kioskWidth
    height: kioskHeight
    title: "APM Kiosk"
    color: root.paper

    readonly property var vm: kiosk.vm
    // Palette: a calm government teal, high contrast text, large touch targets.
    readonly property color primary: "#0b6e69"
    readonly property color primaryDark: "#07504c"
    readonly property color accent: "#f2a900"
    readonly property color paper: "#f3f6f5"
    readonly property color card: "#ffffff"
    readonly property color ink: "#17212b"
    readonly property color muted: "#55636f"
    readonly property color danger: "#b3261e"
    readonly property int gap: 24
    readonly property int fontBig: 44
    readonly property int fontTitle: 34
    readonly property int fontBody: 24
    readonly property int fontSmall: 22

    function screenFile(screen) {
        return "screens/" + screen.charAt(0).toUpperCase() + screen.slice(1) + "Screen.qml"
    }

    Header {
        id: header
        visible: root.vm.screen !== "attract"
        anchors { left: parent.left; right: parent.right; top: parent.top }
    }

    Banner {
        id: banner
        anchors { left: parent.left; right: parent.right; top: header.visible ? header.bottom : parent.top }
    }

    Loader {
        id: screen
        objectName: "screenLoader"
        anchors {
            left: parent.left; right: parent.right; bottom: parent.bottom
            top: banner.visible ? banner.bottom : (header.visible ? header.bottom : parent.top)
        }
        source: root.screenFile(root.vm.screen)
    }

    // Every press anywhere restarts the idle timer; the press still reaches its target.
    MouseArea {
        objectName: "idleCatcher"
        anchors.fill: parent
        z: 100
        propagateComposedEvents: true
        onPressed: function(mouse) { kiosk.stillHere(); mouse.accepted = false }
    }

    IdleOverlay {
        anchors.fill: parent
        z: 200
        visible: root.vm.idleLeft >= 0
        secondsLeft: root.vm.idleLeft
    }
}
