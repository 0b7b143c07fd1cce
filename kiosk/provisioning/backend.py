"""Talking to the backend while provisioning: its CA certificate, the enrolment, the village.

Only the CA certificate is fetched without verifying TLS (nothing can be verified yet);
it is trusted only once its fingerprint matches the provisioning file's. Everything after
goes over TLS verified by that certificate, so the enrolment token reaches only a server
holding a key the pinned CA certified. No redirects are followed: the token goes to the
URL in the file and nowhere else.
"""

from __future__ import annotations

import hashlib
import re
import ssl
import warnings
from pathlib import Path

import requests
from pydantic import ValidationError

from apm_api.models import API_PREFIX, ApiError, Enrol, Enrolled, KioskConfig

TIMEOUT = (5.0, 20.0)  # connect, read (a village link is slow)
MAX_CERTIFICATE_BYTES = 64 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", flags=re.DOTALL)


class BackendFailed(Exception):
    """The backend could not be reached, or answered something unusable (said in plain
    words, naming the URL)."""


class EnrolmentRefused(Exception):
    """The backend refused the enrolment token (used, unknown or expired): its words."""


def fetch_ca_certificate(base_url: str) -> str:
    """The backend's CA certificate (one PEM block), not yet trusted: compare its
    fingerprint before using it."""
    url = f"{base_url}{API_PREFIX}/ca-certificate"
    import urllib3

    with warnings.catch_warnings():
        # Not verified on purpose: the certificate is checked by its fingerprint next.
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        response = _request("GET", url, verify=False, accept="application/x-pem-file")
    body = _body(response, url, MAX_CERTIFICATE_BYTES)
    if response.status_code != 200:
        raise BackendFailed(f"GET {url} answered HTTP {response.status_code}{_said(body)}")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise BackendFailed(f"GET {url} did not answer a PEM certificate") from None
    blocks = _PEM_BLOCK.findall(text)
    if len(blocks) != 1:
        found = "none" if not blocks else f"{len(blocks)}"
        raise BackendFailed(f"GET {url}: expected one PEM certificate, found {found}")
    try:
        ssl.PEM_cert_to_DER_cert(blocks[0])
    except ValueError:
        raise BackendFailed(f"GET {url}: the certificate is not valid PEM") from None
    return f"{blocks[0]}\n"


def certificate_fingerprint(pem: str) -> str:
    """SHA-256 of the certificate's DER, 64 lower-case hex digits."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def enrol(base_url: str, enrolment_token: str, ca_file: Path) -> Enrolled:
    """Trade the one-time token for the kiosk's device token, over TLS verified by the
    pinned CA. Raises EnrolmentRefused (403) or BackendFailed."""
    url = f"{base_url}{API_PREFIX}/enrol"
    body = Enrol(enrolment_token=enrolment_token).model_dump_json().encode()
    response = _request("POST", url, verify=ca_file, data=body)
    raw = _body(response, url, MAX_ANSWER_BYTES)
    if response.status_code == 403:
        raise EnrolmentRefused(_said(raw).removeprefix(": ") or "HTTP 403, no reason given")
    if response.status_code != 201:
        raise BackendFailed(f"POST {url} answered HTTP {response.status_code}{_said(raw)}")
    try:
        return Enrolled.model_validate_json(raw)
    except ValidationError:
        raise BackendFailed(f"POST {url} answered 201 without a valid Enrolled body") from None


def kiosk_village(base_url: str, device_token: str, ca_file: Path) -> str:
    """The village code the backend has this kiosk in (GET /kiosk/config, as the kiosk)."""
    url = f"{base_url}{API_PREFIX}/kiosk/config"
    headers = {"Authorization": f"Bearer {device_token}"}
    response = _request("GET", url, verify=ca_file, headers=headers)
    raw = _body(response, url, MAX_ANSWER_BYTES * 4)  # it carries the village's logo
    if response.status_code != 200:
        raise BackendFailed(f"GET {url} answered HTTP {response.status_code}{_said(raw)}")
    try:
        return KioskConfig.model_validate_json(raw).village.code
    except ValidationError:
        raise BackendFailed(f"GET {url} answered without a valid KioskConfig") from None


def _request(
    method: str,
    url: str,
    *,
    verify: bool | Path,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    accept: str = "application/json",
) -> requests.Response:
    all_headers = {"Accept": accept, **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    try:
        return requests.request(
            method,
            url,
            data=data,
            headers=all_headers,
            timeout=TIMEOUT,
            verify=verify if isinstance(verify, bool) else str(verify),
            allow_redirects=False,
            stream=True,
        )
    except requests.exceptions.SSLError as exc:
        raise BackendFailed(f"{method} {url}: TLS failed: {_tls_reason(exc)}") from None
    except requests.Timeout:
        raise BackendFailed(f"{method} {url}: no answer within {TIMEOUT[1]:.0f} s") from None
    except requests.ConnectionError as exc:
        raise BackendFailed(f"{method} {url}: cannot connect ({_root_cause(exc)})") from None
    except requests.RequestException as exc:
        raise BackendFailed(f"{method} {url}: {type(exc).__name__}") from None


def _body(response: requests.Response, url: str, limit: int) -> bytes:
    """The whole body within `limit` (the kiosk client's bounded read), closed after."""
    from kiosk.backend.client import read_limited
    from kiosk.backend.errors import BackendError

    try:
        return read_limited(response, limit)
    except BackendError as exc:
        raise BackendFailed(f"{url}: {str(exc).partition(': ')[2] or exc}") from None
    finally:
        response.close()


def _said(raw: bytes) -> str:
    """What the backend said, from its ApiError body (English), as ': ...' or ''."""
    try:
        error = ApiError.model_validate_json(raw)
    except ValidationError:
        return ""
    return f": {error.message.en or error.message.id}"


def _tls_reason(exc: Exception) -> str:
    text = _root_cause(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            "the server's certificate is not issued by the pinned CA, or does not name "
            f"this host ({text})"
        )
    return text


def _root_cause(exc: BaseException) -> str:
    """The innermost reason (e.g. 'Connection refused'), without urllib3's wrapping."""
    seen = exc
    while seen.__context__ is not None or seen.__cause__ is not None:
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    if isinstance(seen, OSError) and seen.strerror:
        return seen.strerror
    return str(seen) or type(seen).__name__
