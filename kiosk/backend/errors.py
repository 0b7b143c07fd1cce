"""What can go wrong talking to the backend, in four kinds the flow can act on.

No `requests` import here: the flow and the runtime import these without paying for it.
"""

from __future__ import annotations

from apm_api.models import ApiError


class BackendError(Exception):
    kind = "backend"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail  # short English, for logs and technicians; no personal data


class BackendUnreachable(BackendError):
    """No answer: connection refused, DNS, timeout, TLS. Worth retrying later."""

    kind = "unreachable"


class BackendServerError(BackendError):
    """The backend answered 5xx. Worth retrying later."""

    kind = "server"


class BackendProtocolError(BackendError):
    """The backend answered something that breaks the contract (garbage, wrong shape)."""

    kind = "protocol"


class BackendRejected(BackendError):
    """The backend said no, with a reason (a 4xx with a valid ApiError body)."""

    kind = "rejected"

    def __init__(self, status: int, error: ApiError) -> None:
        super().__init__(f"HTTP {status} {error.code.value}")
        self.status = status
        self.error = error
