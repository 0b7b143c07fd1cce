import QtQuick
import ".."

// The backend as the kiosk reaches it: latency, TLS, the kiosk's token, clock skew.
SectionFrame {
    objectName: "techBackend"
    title: "Backend"
    hint: techRoot.running("backend") ? "Asking the backend…" : "One authenticated request, timed, with the backend's clock compared."
    actions: TechButton {
        objectName: "techCheckBackend"
        primary: true
        enabled: !techRoot.running("backend")
        text: techRoot.running("backend") ? "Checking…" : "Check the backend"
        onClicked: techRoot.tech.checkBackend()
    }
    Repeater {
        model: techRoot.tv.backend
        CheckCard {
            required property var modelData
            objectName: "techBackend-" + modelData.name
            check: modelData
        }
    }
}
