"""Simulated devices and the fault machinery they share (no real hardware needed)."""
