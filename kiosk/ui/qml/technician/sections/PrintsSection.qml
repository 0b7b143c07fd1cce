import QtQuick
import ".."

// A test receipt on the receipt printer, a test page on the A4 printer.
SectionFrame {
    objectName: "techPrints"
    title: "Test prints"
    hint: "Prints on the kiosk's own printers. Collect the paper afterwards."
    Repeater {
        model: techRoot.tv.printers
        Column {
            id: printer
            required property string modelData
            readonly property bool receipt: modelData === "receipt_printer"
            readonly property bool busy: techRoot.running("print:" + modelData)
            width: parent.width
            spacing: 10
            Row {
                spacing: 16
                TechButton {
                    objectName: "techTestPrint-" + printer.modelData
                    width: 360
                    primary: true
                    enabled: !printer.busy
                    text: printer.busy ? "Printing…" : printer.receipt ? "Print a test receipt" : "Print an A4 test page"
                    onClicked: techRoot.tech.testPrint(printer.modelData)
                }
                Text {
                    anchors.verticalCenter: parent.verticalCenter
                    text: printer.receipt ? "Receipt printer (receipt_printer)" : "A4 printer (document_printer)"
                    font.pixelSize: 20; color: "#37474f"
                }
            }
            CheckCard {
                objectName: "techPrintResult-" + printer.modelData
                width: printer.width
                check: techRoot.tv.prints[printer.modelData]
                title: printer.receipt ? "Test receipt" : "A4 test page"
            }
        }
    }
}
