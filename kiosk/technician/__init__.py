"""The technician mode of the running kiosk, without its screens: the PIN (stored hashed),
the lockout after wrong PINs, the session's rules and the audit log.

Plain Python, no Qt: kiosk.ui.technician shows it. Nothing here is imported when the kiosk
starts; the first hidden-gesture tap on the attract screen brings it in.
"""
