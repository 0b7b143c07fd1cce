"""Device model, transports and simulators: the lowest layer. No Qt, no kiosk logic."""
