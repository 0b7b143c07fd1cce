"""The backend as the kiosk sees it: reachable, how fast, over what TLS, whether it takes
the kiosk's token, and how far the kiosk's clock is from the backend's (its Date header).

One authenticated GET of the kiosk's configuration, made the way the kiosk makes its calls
(same URL, token, CA bundle and timeouts), but reporting what went wrong in detail instead
of the citizen-facing "cannot connect".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from kiosk import __version__
from kiosk.diagnostics.report import Check, fault, ok, warning

AREA = "backend"
SLOW_MS = 1500.0  # a citizen notices a tap that waits this long on the backend
SKEW_WARNING_S = 30.0
SKEW_FAULT_S = 120.0  # letters and receipts would carry a visibly wrong time
PROBE_PATH = "/kiosk/config"


@dataclass(frozen=True)
class Target:
    """Where the kiosk's backend is and how the kiosk talks to it."""

    api_base: str  # e.g. https://desa.example/api/v1
    token: str
    verify_tls: bool | str = True
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0


def backend_checks(target: Target) -> list[Check]:
    import requests

    url = target.api_base.rstrip("/") + PROBE_PATH
    headers = {
        "Authorization": f"Bearer {target.token}",
        "User-Agent": f"apm-kiosk/{__version__} (diag)",
        "Accept": "application/json",
    }
    started, sent_at = time.monotonic(), time.time()
    try:
        with requests.Session() as http:
            http.trust_env = True  # a proxy the kiosk would use, diag uses too
            response = http.get(
                url,
                headers=headers,
                timeout=(target.connect_timeout_s, target.read_timeout_s),
                verify=target.verify_tls,
                allow_redirects=False,
                stream=True,
            )
            tls = _tls_version(response)
            response.close()
    except requests.exceptions.SSLError as error:
        return [fault(AREA, "tls", f"TLS refused: {_reason(error)}", url=url)]
    except requests.Timeout:
        return [fault(AREA, "reachable", f"{url}: no answer within the timeouts", url=url)]
    except requests.ConnectionError as error:
        return [fault(AREA, "reachable", f"{url}: cannot connect ({_reason(error)})", url=url)]
    except requests.RequestException as error:
        return [fault(AREA, "reachable", f"{url}: {_reason(error)}", url=url)]
    received_at = time.time()
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    checks = [_reachable(url, response.status_code, elapsed_ms), _tls(url, tls, target)]
    checks.append(_auth(response.status_code))
    checks.append(_skew(response.headers.get("Date"), sent_at, received_at))
    return checks


def _reachable(url: str, status: int, elapsed_ms: float) -> Check:
    details = {"url": url, "http_status": status, "latency_ms": elapsed_ms}
    if status >= 500:
        return fault(AREA, "reachable", f"answers HTTP {status}: a server error", **details)
    if elapsed_ms > SLOW_MS:
        return warning(AREA, "reachable", f"answers, but slowly: {elapsed_ms:.0f} ms", **details)
    return ok(AREA, "reachable", f"answers in {elapsed_ms:.0f} ms", **details)


def _tls(url: str, version: str | None, target: Target) -> Check:
    if not url.startswith("https://"):
        return warning(AREA, "tls", "plain HTTP: the token and citizens' data go unencrypted")
    if target.verify_tls is False:
        return warning(AREA, "tls", f"{version or 'TLS'}, but the certificate is NOT checked")
    trusted = "system CAs" if target.verify_tls is True else f"CA bundle {target.verify_tls}"
    return ok(AREA, "tls", f"{version or 'TLS'}, certificate verified ({trusted})", version=version)


def _auth(status: int) -> Check:
    if status in (401, 403):
        return fault(
            AREA,
            "auth",
            f"the backend refuses this kiosk's token (HTTP {status}): revoked or wrong token;"
            " re-provision the kiosk",
        )
    if 200 <= status < 300:
        return ok(AREA, "auth", "the kiosk's token is accepted")
    return warning(AREA, "auth", f"unexpected answer HTTP {status} to {PROBE_PATH}")


def _skew(date_header: str | None, sent_at: float, received_at: float) -> Check:
    """Our clock minus the backend's. The Date header has a 1 s resolution and was made
    somewhere between sending and receiving: compared with the midpoint, +-1 s is noise."""
    if not date_header:
        return warning("clock", "skew", "the backend sends no Date header: skew unknown")
    try:
        theirs = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return warning("clock", "skew", f"cannot read the backend's Date: {date_header!r}")
    skew = round((sent_at + received_at) / 2 - theirs, 1)
    direction = "ahead of" if skew > 0 else "behind"
    text = f"{abs(skew):.0f} s {direction} the backend's clock"
    if abs(skew) >= SKEW_FAULT_S:
        return fault("clock", "skew", f"{text}: letters would carry a wrong time", skew_s=skew)
    if abs(skew) >= SKEW_WARNING_S:
        return warning("clock", "skew", text, skew_s=skew)
    return ok("clock", "skew", f"within {max(abs(skew), 1.0):.0f} s of the backend", skew_s=skew)


def _tls_version(response: Any) -> str | None:
    """The negotiated TLS version, when the response's socket is still at hand."""
    try:
        sock = response.raw.connection.sock
        version: str | None = sock.version()
        return version
    except Exception:  # plain HTTP, or urllib3 internals not as expected: not a finding
        return None


def _reason(error: BaseException) -> str:
    """The innermost reason of a requests error, without urllib3's wrapping noise."""
    text = str(error)
    for marker in ("certificate verify failed", "Connection refused", "Name or service not"):
        if marker in text:
            start = text.index(marker)
            return text[start : start + 120].split("'")[0].split(")")[0].strip()
    return text[:200]
