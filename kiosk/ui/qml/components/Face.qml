import QtQuick
import QtQuick.Shapes

// A drawn face for the satisfaction scale (no emoji font needed on a kiosk image).
// score 1 (frown) .. 4 (broad smile). Drawn with Shapes, not Canvas: it is part of the
// scene graph, so it is there in the very first frame (and in screenshots).
Rectangle {
    id: face
    property int score: 3
    readonly property var colours: ["#c0392b", "#e67e22", "#7cb342", "#2e7d32"]
    // How far the middle of the mouth drops below its corners (negative: a frown).
    readonly property real bend: [-16, -7, 9, 18][score - 1]
    width: 88; height: 88; radius: width / 2
    color: colours[score - 1]

    Rectangle { x: face.width / 2 - 21; y: face.height / 2 - 18; width: 12; height: 12; radius: 6; color: "white" }
    Rectangle { x: face.width / 2 + 9; y: face.height / 2 - 18; width: 12; height: 12; radius: 6; color: "white" }

    Shape {
        anchors.fill: parent
        preferredRendererType: Shape.CurveRenderer
        ShapePath {
            strokeColor: "white"; strokeWidth: 6; fillColor: "transparent"
            capStyle: ShapePath.RoundCap
            startX: face.width / 2 - 20; startY: face.height / 2 + 16 - face.bend / 2
            PathQuad {
                controlX: face.width / 2; controlY: face.height / 2 + 16 + face.bend
                x: face.width / 2 + 20; y: face.height / 2 + 16 - face.bend / 2
            }
        }
    }
}
