import QtQuick

// A request's status as the flow words it, in a colour that says "wait", "go" or "stop".
Rectangle {
    id: chip
    property string status
    property string label
    readonly property var tones: ({
        "ready": ["#dcf1ea", "#0b5e46"],
        "collected": ["#e7ecec", "#3d4a52"],
        "failed": ["#fbe3e1", "#8c1d18"],
        "rejected": ["#fbe3e1", "#8c1d18"],
        "cancelled": ["#e7ecec", "#3d4a52"]
    })
    // Everything else is on its way (queued, under review, awaiting the signature).
    readonly property var tone: tones[status] || ["#fff1cc", "#6b4b00"]
    implicitWidth: Math.min(caption.implicitWidth + 32, maxWidth)
    property real maxWidth: 600
    width: implicitWidth
    height: caption.height + 14
    radius: 10
    color: tone[0]
    Text {
        id: caption
        anchors.centerIn: parent
        width: chip.width - 32
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
        text: chip.label
        font.pixelSize: root.fontSmall - 2; font.bold: true
        color: chip.tone[1]
    }
}
