import QtQuick
import "../components"

// Something went wrong: what happened, and what the citizen can do now.
Item {
    readonly property var notice: root.vm.notice || ({})
    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width - 120, 960); height: body.height + 80; radius: 20
        color: root.card
        Column {
            id: body
            anchors.centerIn: parent
            width: parent.width - 80
            spacing: 22
            Text {
                objectName: "noticeTitle"
                width: parent.width; wrapMode: Text.WordWrap
                text: notice.title || ""
                font.pixelSize: root.fontTitle + 4; font.bold: true; color: root.danger
            }
            Text {
                objectName: "noticeMessage"
                width: parent.width; wrapMode: Text.WordWrap
                text: notice.message || ""
                font.pixelSize: root.fontBody + 2; color: root.ink
            }
            Text {
                visible: (notice.trackingCode || "") !== ""
                text: qsTr("Nomor permohonan: %1").arg(notice.trackingCode || "")
                font.pixelSize: root.fontBody + 2; font.bold: true; color: root.ink
            }
            Row {
                spacing: root.gap
                BigButton {
                    objectName: "noticeRetry"
                    visible: notice.canRetry === true
                    text: qsTr("Coba lagi")
                    onClicked: kiosk.answerNotice("retry")
                }
                BigButton {
                    objectName: "noticeHome"
                    primary: notice.canRetry !== true
                    text: qsTr("Kembali ke awal")
                    onClicked: kiosk.answerNotice("home")
                }
            }
        }
    }
}
