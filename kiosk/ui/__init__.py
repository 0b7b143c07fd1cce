"""The kiosk's face: Qt Quick (QML) screens and the bridge to the plain-Python runtime.

The only package that imports PySide6. The QML renders the view model and sends intents;
everything else happens in kiosk.runtime and kiosk.flow.
"""
