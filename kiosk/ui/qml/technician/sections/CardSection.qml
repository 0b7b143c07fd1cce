import QtQuick
import ".."

// The card read test: the next card tapped, its UID masked, and how long the read took.
// While technician mode is on, a tap never starts a citizen's session.
SectionFrame {
    id: section
    objectName: "techCard"
    title: "Card reader"
    readonly property bool waiting: techRoot.running("card")
    readonly property var result: techRoot.tv.card
    readonly property bool read: result !== null && result !== undefined && result.details.uid_masked !== undefined
    hint: "Card taps do not start a citizen's session while technician mode is on."
    actions: TechButton {
        objectName: "techCardRead"
        primary: true
        enabled: !section.waiting
        text: section.waiting ? "Waiting for a card…" : "Start the card read test"
        onClicked: techRoot.tech.cardReadTest()
    }
    Text {
        objectName: "techCardWaiting"
        visible: section.waiting
        width: parent.width; wrapMode: Text.WordWrap
        text: "Tap a card on the reader now (waiting up to " + techRoot.tv.cardTimeout + " s)."
        font.pixelSize: 24; font.bold: true; color: "#0b6e69"
    }
    Rectangle {
        visible: section.read
        width: parent.width
        height: readBody.height + 32
        radius: 10
        color: "white"; border.color: "#cfd8dc"
        Column {
            id: readBody
            x: 16; y: 16
            width: parent.width - 32
            spacing: 8
            Text { text: "Card UID (masked)"; font.pixelSize: 18; color: "#55636f" }
            Text {
                objectName: "techCardUid"
                text: section.read ? section.result.details.uid_masked : ""
                font.pixelSize: 40; font.bold: true; font.family: "monospace"; color: "#17212b"
            }
            Text {
                objectName: "techCardTime"
                text: !section.read ? ""
                    : section.result.details.read_ms !== null && section.result.details.read_ms !== undefined
                      ? "Read in " + section.result.details.read_ms + " ms"
                      : "Read " + section.result.details.waited_ms + " ms after the test began"
                font.pixelSize: 24; color: "#17212b"
            }
        }
    }
    CheckCard {
        objectName: "techCardResult"
        check: section.result
        title: "Card read test"
    }
}
