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
    // Palette: a calm government teal, high contrast text, large touch targets. High
    // contrast mode (chosen by the citizen) darkens every colour against pure white.
    readonly property bool contrast: vm.highContrast === true
    readonly property color primary: contrast ? "#00302c" : "#0b6e69"
    readonly property color primaryDark: contrast ? "#001513" : "#07504c"
    readonly property color accent: contrast ? "#ffd000" : "#f2a900"
    readonly property color paper: contrast ? "#ffffff" : "#f3f6f5"
    readonly property color card: "#ffffff"
    readonly property color ink: contrast ? "#000000" : "#17212b"
    readonly property color muted: contrast ? "#1c1c1c" : "#55636f"
    readonly property color danger: contrast ? "#7a0000" : "#b3261e"
    readonly property color onPrimaryMuted: contrast ? "#ffffff" : "#d7f0ee"
    readonly property int gap: 24
    // Large text mode (chosen by the citizen) scales every font by a third.
    readonly property real textScale: vm.largeText === true ? 1.3 : 1.0
    readonly property int fontBig: Math.round(44 * textScale)
    readonly property int fontTitle: Math.round(34 * textScale)
    readonly property int fontBody: Math.round(24 * textScale)
    readonly property int fontSmall: Math.round(22 * textScale)
    readonly property int fontHero: Math.round(64 * textScale)

    function screenFile(screen) {
        return "screens/" + screen.charAt(0).toUpperCase() + screen.slice(1) + "Screen.qml"
    }

    Header {
        id: header
        objectName: "header"
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

    // Technician mode (hidden gesture + PIN): over everything, loaded only while it is on.
    Loader {
        objectName: "technicianLoader"
        anchors.fill: parent
        z: 300
        active: kiosk.technician !== null && kiosk.technician.view.mode !== "off"
        source: active ? "technician/TechnicianOverlay.qml" : ""
    }
}
