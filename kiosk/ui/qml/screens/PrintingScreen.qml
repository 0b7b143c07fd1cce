import QtQuick
import "../components"

// The signed letter is fetched, then printed: two steps, the current one highlighted.
Item {
    readonly property bool downloading: root.vm.printStep === "downloading"

    Column {
        anchors.centerIn: parent
        width: parent.width - 160
        spacing: 34

        Spinner { anchors.horizontalCenter: parent.horizontalCenter }

        Text {
            objectName: "printStepText"
            width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            text: downloading ? qsTr("Mengunduh surat yang sudah ditandatangani…") : qsTr("Mencetak surat Anda…")
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }

        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: 16
            StepPill { number: "1"; label: qsTr("Mengunduh"); active: downloading; finished: !downloading }
            Rectangle { anchors.verticalCenter: parent.verticalCenter; width: 48; height: 4; radius: 2; color: "#b7c7c5" }
            StepPill { number: "2"; label: qsTr("Mencetak"); active: !downloading; finished: false }
        }

        Text {
            width: parent.width; horizontalAlignment: Text.AlignHCenter
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
        width: 300; height: 72; radius: 36
        color: active ? root.primary : (finished ? "#e3f4ef" : root.card)
        border.width: active ? 0 : 2
        border.color: finished ? root.primary : "#b7c7c5"
        Text {
            anchors.centerIn: parent
            text: (parent.finished ? "✓" : parent.number) + "   " + parent.label
            font.pixelSize: root.fontBody + 2; font.bold: true
            color: parent.active ? "white" : (parent.finished ? root.primary : root.muted)
        }
    }
}
