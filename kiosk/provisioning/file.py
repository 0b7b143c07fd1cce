"""The provisioning file: reading it, checking it, and taking the used token out of it.

```toml
village_code = "35.23.01.2001"
backend_url = "https://apm.tubankab.go.id"
enrolment_token = "..."          # one-time; removed from this file once used
ca_fingerprint = "93:D1:71:..."  # SHA-256 of the backend CA certificate (DER)
label = "Balai desa Sumberejo"   # optional
```

Every problem is reported as `FILE: KEY: expected ..., found ...`, like kiosk.config.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kiosk.config import explain_validation_errors
from kiosk.provisioning.writing import stage_file

# What a person may type: hex pairs with colons, spaces or nothing between, any case.
_FINGERPRINT_SEPARATORS = re.compile(r"[\s:]")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
LOOPBACK_NAMES = ("localhost",)


class ProvisioningFileError(Exception):
    """A provisioning file that cannot be used, every problem naming the file and the key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class ProvisioningFile(BaseModel):
    # strict: TOML has real strings, so a fingerprint or a code typed as a number is a
    # mistake worth saying, not something to convert.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    village_code: str = Field(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z.\-]+$")
    backend_url: str
    # The reference backend makes 43 characters; the API takes 16 to 200.
    enrolment_token: str = Field(min_length=16, max_length=200, pattern=r"^[!-~]+$")
    ca_fingerprint: str
    label: str | None = Field(default=None, min_length=1, max_length=80)

    @field_validator("backend_url")
    @classmethod
    def _https_or_loopback(cls, value: str) -> str:
        return checked_backend_url(value)

    @field_validator("ca_fingerprint")
    @classmethod
    def _sha256(cls, value: str) -> str:
        return normalised_fingerprint(value)

    @property
    def token_hint(self) -> str:
        """The token as it may be shown: its last four characters."""
        return token_hint(self.enrolment_token)


def token_hint(token: str) -> str:
    return f"…{token[-4:]}"


def checked_backend_url(value: str) -> str:
    """The URL without a trailing slash; https, or http to this machine only."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value.strip():
        raise ValueError("expected an https:// URL of the backend")
    if parts.query or parts.fragment:
        raise ValueError("expected the backend's base URL, without ?query or #fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            "expected an https:// URL (plain http:// would send the enrolment token and "
            "every citizen's data unencrypted; it is allowed only to this machine: "
            "localhost, 127.0.0.1 or ::1)"
        )
    return value.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalised_fingerprint(value: str) -> str:
    """64 lower-case hex digits, from a fingerprint typed with colons, spaces, any case."""
    digits = _FINGERPRINT_SEPARATORS.sub("", value).lower()
    if not _SHA256_HEX.match(digits):
        raise ValueError(
            "expected the SHA-256 fingerprint of the backend's CA certificate: 64 hex "
            "digits (colons or spaces between pairs allowed)"
        )
    return digits


def shown_fingerprint(digits: str) -> str:
    """AB:CD:... as `apm-server serve --tls` prints it."""
    upper = digits.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


def load_provisioning_file(path: Path) -> ProvisioningFile:
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProvisioningFileError(source, ["file not found"]) from None
    except IsADirectoryError:
        raise ProvisioningFileError(source, ["is a directory, expected a TOML file"]) from None
    except OSError as exc:
        problem = f"cannot read the file: {exc.strerror or exc}"
        raise ProvisioningFileError(source, [problem]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProvisioningFileError(source, ["not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        raise ProvisioningFileError(source, [f"not valid TOML: {exc}"]) from None
    try:
        return ProvisioningFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            _with_hint(line) for line in explain_validation_errors(exc, ProvisioningFile, "")
        ]
        raise ProvisioningFileError(source, problems) from None


def _with_hint(problem: str) -> str:
    if problem == "enrolment_token: missing":
        return (
            "enrolment_token: missing (a token is taken out of this file once it has been "
            "used: ask the district for a new one)"
        )
    return problem


# --- taking the used token out ---------------------------------------------------------------


@dataclass(frozen=True)
class TokenRemoval:
    outcome: Literal["removed", "absent", "read-only", "failed"]
    detail: str = ""


def remove_enrolment_token(path: Path) -> TokenRemoval:
    """Rewrite the file without its `enrolment_token` (every other line and comment kept),
    atomically: a new file beside it, then renamed over it.

    A file on a read-only medium (a write-protected SD card or USB stick) is left as it
    is and said so: the token is used up anyway, the backend will not take it twice.
    """
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
        return TokenRemoval("failed", f"cannot read it again: {exc}")
    if "enrolment_token" not in document:
        return TokenRemoval("absent")
    del document["enrolment_token"]
    try:
        _replace_text(path, tomlkit.dumps(document))
    except OSError as exc:
        if _read_only(exc):
            return TokenRemoval("read-only", exc.strerror or str(exc))
        return TokenRemoval("failed", exc.strerror or str(exc))
    return TokenRemoval("removed")


def _read_only(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def _replace_text(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    staged = stage_file(path, text.encode("utf-8"), mode=mode)
    try:
        os.replace(staged.temp, path)
    except OSError:
        staged.discard()
        raise
    staged.sync_folder()
