import QtQuick
import "../components"

// The signed letter is fetched, its electronic signature checked, then printed: three
// steps, the current one highlighted, the ones before it ticked.
Item {
    id: printing
    readonly property var steps: ["downloading", "verifying", "printing"]
    readonly property int current: Math.max(0, steps.indexOf(root.vm.printStep))
    readonly property var headlines: [
        qsTr("Mengunduh surat yang sudah ditandatangani…"),
        qsTr("Memeriksa tanda tangan elektronik…"),
        qsTr("Mencetak surat Anda…")
    ]
    readonly property var labels: [qsTr("Mengunduh"), qsTr("Memeriksa"), qsTr("Mencetak")]
    // Wider pills, closer together, for large text: three still fit side by side.
    readonly property int pillWidth: root.textScale > 1 ? 350 : 300

    Column {
        anchors.centerIn: parent
        width: parent.width - 120
        spacing: 34

        Spinner { anchors.horizontalCenter: parent.horizontalCenter }

        Text {
            objectName: "printStepText"
            width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            text: printing.headlines[printing.current]
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }

        // Side by side on a wide screen, one under the other on a narrow (portrait) one.
        Grid {
            id: pills
            readonly property bool narrow: parent.width < 3 * printing.pillWidth + 2 * columnSpacing
            anchors.horizontalCenter: parent.horizontalCenter
            columns: narrow ? 1 : 3
            columnSpacing: root.textScale > 1 ? 40 : 64
            rowSpacing: 20
            Repeater {
                model: printing.labels.length
                StepPill {
                    id: pill
                    required property int index
                    objectName: "step-" + printing.steps[index]
                    number: String(index + 1)
                    label: printing.labels[index]
                    active: index === printing.current
                    finished: index < printing.current
                    Rectangle {  // the link from the step before
                        visible: pill.index > 0
                        x: pills.narrow ? pill.width / 2 - 2 : -pills.columnSpacing + 8
                        y: pills.narrow ? -pills.rowSpacing + 4 : pill.height / 2 - 2
                        width: pills.narrow ? 4 : pills.columnSpacing - 16
                        height: pills.narrow ? pills.rowSpacing - 8 : 4
                        radius: 2; color: "#b7c7c5"
                    }
                }
            }
        }

        Text {
            width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
            visible: root.vm.request !== null && root.vm.request !== undefined
            text: qsTr("Nomor permohonan: %1").arg(root.vm.request ? root.vm.request.trackingCode : "")
            font.pixelSize: root.fontBody + 2; font.bold: true; color: root.ink
        }

        Text {
            width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            text: qsTr("Mohon tunggu di depan kios. Ambil surat Anda dari printer setelah selesai.")
            font.pixelSize: root.fontBody; color: root.muted
        }
    }

    component StepPill: Rectangle {
        property string number
        property string label
        property bool active
        property bool finished
        width: printing.pillWidth; height: 72; radius: 36
        color: active ? root.primary : (finished ? "#e3f4ef" : root.card)
        border.width: active ? 0 : 2
        border.color: finished ? root.primary : "#b7c7c5"
        Text {
            anchors.centerIn: parent
            width: parent.width - 24
            horizontalAlignment: Text.AlignHCenter
            elide: Text.ElideRight
            text: (parent.finished ? "✓" : parent.number) + "   " + parent.label
            font.pixelSize: root.fontBody + 2; font.bold: true
            color: parent.active ? "white" : (parent.finished ? root.primary : root.muted)
        }
    }
}
