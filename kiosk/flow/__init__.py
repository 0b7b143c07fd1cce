"""The citizen flow: states, events, effects and the view model. Pure Python, no Qt, no I/O."""

from kiosk.flow.machine import Flow
from kiosk.flow.state import FlowState, Screen
from kiosk.flow.view import view_model

__all__ = ["Flow", "FlowState", "Screen", "view_model"]
