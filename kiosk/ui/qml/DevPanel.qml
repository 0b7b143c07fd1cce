import QtQuick
import QtQuick.Window

// Developer panel for the demo: plays the citizen's card and the technician's faults.
Window {
    width: 440; height: 860
    x: 40; y: 40
    visible: true
    title: "APM Kiosk: panel pengembang"
    color: "#20262c"

    component PanelButton: Rectangle {
        property alias text: label.text
        property bool on: false
        signal clicked()
        width: 380; height: 44; radius: 6
        color: area.pressed ? "#3e4a54" : (on ? "#b3261e" : "#2d363e")
        Text { id: label; anchors.centerIn: parent; color: "white"; font.pixelSize: 16 }
        MouseArea { id: area; anchors.fill: parent; onClicked: parent.clicked() }
    }

    Column {
        anchors { fill: parent; margins: 20 }
        spacing: 8
        Text {
            objectName: "panelStatus"
            width: 380; wrapMode: Text.WordWrap
            text: "Layar kios: " + kiosk.vm.screen + (kiosk.vm.ready ? "" : " (belum siap)")
            color: "white"; font.pixelSize: 15
        }
        Text { text: "Kartu (e-KTP)"; color: "#9fb3b1"; font.pixelSize: 15; font.bold: true; topPadding: 8 }
        Repeater {
            model: demoCards
            PanelButton {
                required property var modelData
                text: "Tempel kartu: " + modelData.name
                onClicked: devpanel.tap(modelData.uid)
            }
        }
        PanelButton { text: "Angkat kartu"; onClicked: devpanel.removeCard() }
        Text {
            width: 380; wrapMode: Text.WordWrap; topPadding: 12
            text: "Gangguan (tekan untuk menyalakan / mematikan)"; color: "#9fb3b1"; font.pixelSize: 15; font.bold: true
        }
        Repeater {
            model: [
                { role: "document_printer", fault: "paper_out", label: "Printer surat: kertas habis" },
                { role: "document_printer", fault: "cover_open", label: "Printer surat: tutup terbuka" },
                { role: "document_printer", fault: "unplugged", label: "Printer surat: dicabut" },
                { role: "receipt_printer", fault: "paper_out", label: "Printer struk: kertas habis" },
                { role: "receipt_printer", fault: "cover_open", label: "Printer struk: tutup terbuka" },
                { role: "receipt_printer", fault: "unplugged", label: "Printer struk: dicabut" },
                { role: "card_reader", fault: "unplugged", label: "Pembaca: dicabut" },
                { role: "card_reader", fault: "card_removed_mid_read", label: "Pembaca: kartu terangkat" },
                { role: "card_reader", fault: "random_uid", label: "Pembaca: UID acak" }
            ]
            PanelButton {
                required property var modelData
                text: modelData.label
                onClicked: { on = !on; devpanel.setFault(modelData.role, modelData.fault, on) }
            }
        }
    }
}
