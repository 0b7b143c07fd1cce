"""Backend and device errors as the flow's `Failure`: what went wrong, in terms it acts on.

Shared by the runtime and the print service; no library exceptions travel further.
"""

from __future__ import annotations

from typing import Any

from apm_api.models import ErrorCode, Text
from drivers.model import DeviceError, ErrorKind
from kiosk.backend.errors import (
    BackendError,
    BackendRejected,
    BackendServerError,
    BackendUnreachable,
)
from kiosk.flow import events as ev


def failure_from(error: BackendError) -> ev.Failure:
    if isinstance(error, BackendUnreachable):
        return ev.Failure(ev.FailureKind.UNREACHABLE, detail=error.detail)
    if isinstance(error, BackendRejected):
        api = error.error
        return ev.Failure(
            ev.FailureKind.REJECTED,
            code=api.code,
            message=api.message,
            field_errors=dict(api.field_errors),
            retry_after_s=api.retry_after_s,
            detail=error.detail,
        )
    if isinstance(error, BackendServerError):
        return ev.Failure(ev.FailureKind.SERVER, detail=error.detail)
    return ev.Failure(ev.FailureKind.PROTOCOL, detail=error.detail)


_DEVICE_PROBLEMS = {
    ErrorKind.NO_DEVICE: "printer not connected",
    ErrorKind.TIMEOUT: "printer not answering",
    ErrorKind.NOT_CLAIMED: "printer in use",
}


def failure_from_device(error: BaseException) -> ev.Failure:
    if isinstance(error, DeviceError):
        detail = error.message or _DEVICE_PROBLEMS.get(error.kind, error.kind.value)
        return ev.Failure(ev.FailureKind.DEVICE, detail=detail)
    return ev.Failure(ev.FailureKind.DEVICE, detail=f"{type(error).__name__}: {error}")


def failure_from_dead_letter(code: str, reason: dict[str, Any] | None) -> ev.Failure:
    """A queued submission the backend refused for good, as the flow sees it."""
    try:
        known: ErrorCode | None = ErrorCode(code)
    except ValueError:  # e.g. "unsendable": the kiosk's own data was damaged
        known = None
    message = Text.model_validate(reason) if reason else None
    return ev.Failure(ev.FailureKind.REJECTED, code=known, message=message, detail=code)
