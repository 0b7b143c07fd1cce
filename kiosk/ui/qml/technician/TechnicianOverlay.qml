import QtQuick

// Technician mode, over the citizen's attract screen: the PIN pad, a refusal, or the
// technician screens. Renders `kiosk.technician.view` and sends intents back; the rules
// (PIN, lockout, who may enter, idleness, audit) are in Python (kiosk/technician).
Rectangle {
    id: techRoot
    objectName: "technicianOverlay"
    readonly property var tech: kiosk.technician
    readonly property var tv: tech ? tech.view : ({})
    color: "#eceff1"

    function running(key) { return techRoot.tv.running !== undefined && techRoot.tv.running.indexOf(key) >= 0 }

    // Nothing reaches the citizen's screen underneath.
    MouseArea { objectName: "techBlocker"; anchors.fill: parent }

    Loader {
        objectName: "techPage"
        anchors.fill: parent
        source: techRoot.tv.mode === "open" ? "TechConsole.qml"
              : techRoot.tv.mode === "pin" ? "TechPinPad.qml"
              : techRoot.tv.mode === "refused" ? "TechRefused.qml" : ""
    }

    TechConfirm {
        anchors.fill: parent
        visible: techRoot.tv.confirm !== null && techRoot.tv.confirm !== undefined
    }

    // Every press keeps technician mode open ([technician] idle_s untouched ends it).
    MouseArea {
        objectName: "techIdleCatcher"
        anchors.fill: parent
        z: 1000
        propagateComposedEvents: true
        onPressed: function(mouse) { techRoot.tech.touch(); mouse.accepted = false }
    }
}
