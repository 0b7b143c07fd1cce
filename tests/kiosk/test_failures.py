"""Refusals and errors as the flow sees them: the citizen reads the backend's reason."""

from __future__ import annotations

from apm_api.models import ErrorCode
from kiosk.failures import failure_from_dead_letter
from kiosk.flow import events as ev


def test_a_refused_queued_request_carries_the_backends_reason():
    reason = {"id": "Layanan tidak tersedia.", "en": "Service unavailable."}
    failure = failure_from_dead_letter("service_unavailable", reason)
    assert failure.kind is ev.FailureKind.REJECTED
    assert failure.code is ErrorCode.SERVICE_UNAVAILABLE
    assert failure.message is not None and failure.message.id == "Layanan tidak tersedia."


def test_a_damaged_item_is_refused_without_a_known_code():
    failure = failure_from_dead_letter("unsendable", None)
    assert (failure.kind, failure.code, failure.message) == (ev.FailureKind.REJECTED, None, None)
    assert failure.detail == "unsendable"  # for the technician's log
