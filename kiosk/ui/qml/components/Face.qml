import QtQuick

// A drawn face for the satisfaction scale (no emoji font needed on a kiosk image).
// score 1 (frown) .. 4 (broad smile).
Canvas {
    property int score: 3
    readonly property var colours: ["#c0392b", "#e67e22", "#7cb342", "#2e7d32"]
    width: 88; height: 88
    onScoreChanged: requestPaint()
    onPaint: {
        var ctx = getContext("2d")
        var c = width / 2
        ctx.reset()
        ctx.fillStyle = colours[score - 1]
        ctx.beginPath(); ctx.arc(c, c, c - 2, 0, 2 * Math.PI); ctx.fill()
        ctx.fillStyle = "white"
        ctx.beginPath(); ctx.arc(c - 15, c - 12, 6, 0, 2 * Math.PI); ctx.fill()
        ctx.beginPath(); ctx.arc(c + 15, c - 12, 6, 0, 2 * Math.PI); ctx.fill()
        var bend = [-16, -7, 9, 18][score - 1]  // how far the mouth's middle drops
        ctx.strokeStyle = "white"; ctx.lineWidth = 6; ctx.lineCap = "round"
        ctx.beginPath()
        ctx.moveTo(c - 20, c + 16 - bend / 2)
        ctx.quadraticCurveTo(c, c + 16 + bend, c + 20, c + 16 - bend / 2)
        ctx.stroke()
    }
}
