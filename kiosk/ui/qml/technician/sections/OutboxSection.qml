import QtQuick
import ".."

// What waits to reach the backend, and what it refused for good (dead letters, with the
// backend's reason): each can be sent again or discarded, after a confirmation.
SectionFrame {
    id: section
    objectName: "techOutbox"
    title: "Outbox"
    readonly property var box: techRoot.tv.outbox || ({})
    readonly property var counts: box.counts || ({})
    hint: box.error ? box.error
        : "Pending: " + (counts.pending || 0) + "   ·   Dead letters: " + (counts.dead || 0)
          + "   ·   Delivered and kept: " + (counts.done || 0)
    actions: TechButton {
        objectName: "techRefreshOutbox"
        enabled: !techRoot.running("outbox")
        text: techRoot.running("outbox") ? "Reading…" : "Refresh"
        onClicked: techRoot.tech.refreshOutbox()
    }
    Text {
        text: "Dead letters"
        font.pixelSize: 22; font.bold: true; color: "#17212b"
    }
    Text {
        visible: (section.box.dead_letters || []).length === 0
        text: "None."
        font.pixelSize: 19; color: "#55636f"
    }
    Repeater {
        model: section.box.dead_letters || []
        Rectangle {
            id: letter
            required property var modelData
            objectName: "techDead-" + modelData.id
            width: parent.width
            height: letterBody.height + 32
            radius: 10
            color: "white"; border.color: "#cfd8dc"
            Column {
                id: letterBody
                x: 16; y: 16
                width: parent.width - 32
                spacing: 8
                Text {
                    width: parent.width; wrapMode: Text.Wrap
                    text: "#" + letter.modelData.id + "  " + letter.modelData.kind + "  ·  queued " + letter.modelData.queued_at
                          + "  ·  " + letter.modelData.attempts + " attempts"
                    font.pixelSize: 20; font.bold: true; color: "#17212b"
                }
                Text {
                    width: parent.width; wrapMode: Text.Wrap
                    text: "Reason: " + (letter.modelData.reason || "(none given)")
                    font.pixelSize: 19; color: "#b3261e"
                }
                Row {
                    spacing: 16
                    TechButton {
                        objectName: "techRetry-" + letter.modelData.id
                        text: "Send again"
                        onClicked: techRoot.tech.askRetry(letter.modelData.id)
                    }
                    TechButton {
                        objectName: "techDiscard-" + letter.modelData.id
                        danger: true
                        text: "Discard"
                        onClicked: techRoot.tech.askDiscard(letter.modelData.id)
                    }
                }
            }
        }
    }
    Text {
        text: "Pending" + ((section.box.pending_more || 0) > 0 ? " (first " + (section.box.pending || []).length + ")" : "")
        font.pixelSize: 22; font.bold: true; color: "#17212b"
    }
    Text {
        visible: (section.box.pending || []).length === 0
        text: "Nothing waiting."
        font.pixelSize: 19; color: "#55636f"
    }
    Repeater {
        model: section.box.pending || []
        Text {
            required property var modelData
            width: parent.width; wrapMode: Text.Wrap
            text: "#" + modelData.id + "  " + modelData.kind + "  ·  queued " + modelData.queued_at + "  ·  "
                  + modelData.attempts + " attempts" + (modelData.reason ? "  ·  last: " + modelData.reason : "")
            font.pixelSize: 18; color: "#37474f"
        }
    }
}
