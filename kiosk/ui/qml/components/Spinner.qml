import QtQuick

// A busy indicator drawn with plain items (no Controls module: faster start-up).
Item {
    width: 120; height: 120
    Repeater {
        model: 8
        Rectangle {
            required property int index
            width: 18; height: 18; radius: 9
            color: root.primary
            opacity: 0.2 + index / 10
            x: parent.width / 2 - 9 + Math.cos(index * Math.PI / 4) * 45
            y: parent.height / 2 - 9 + Math.sin(index * Math.PI / 4) * 45
        }
    }
    RotationAnimator on rotation { from: 0; to: 360; duration: 1400; loops: Animation.Infinite; running: true }
}
