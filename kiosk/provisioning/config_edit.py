"""The kiosk's config as provisioning changes it: in place, keeping every other key and
every comment (tomlkit), only `[backend]` and an empty `[signature] trust_anchors` set.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

# Beside the config (/etc/apm-kiosk/ on a kiosk), unless the config names a token file.
TOKEN_FILE_NAME = "device-token"
CA_FILE_NAME = "backend-ca.pem"


class ConfigUnusable(Exception):
    """The kiosk's config cannot be read or edited (said in plain words)."""


@dataclass(frozen=True)
class ConfigTargets:
    """Where provisioning writes, for one config file."""

    config: Path
    token_file: Path  # absolute
    token_file_as_written: str  # as the config will say it
    ca_file: Path


def read_config(path: Path) -> tuple[str, TOMLDocument]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigUnusable(
            f"{path}: file not found (the apm-kiosk package installs one in "
            "/etc/apm-kiosk/kiosk.toml; or give --config)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigUnusable(f"{path}: cannot read the file: {exc}") from None
    try:
        tomllib.loads(text)  # the same reading as the kiosk's (tomlkit is more lenient)
        document = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError) as exc:
        raise ConfigUnusable(f"{path}: not valid TOML: {exc}") from None
    backend = document.get("backend")
    if backend is not None and not isinstance(backend, dict):
        raise ConfigUnusable(f"{path}: backend: expected a table, found {type(backend).__name__}")
    signature = document.get("signature")
    if signature is not None and not isinstance(signature, dict):
        raise ConfigUnusable(
            f"{path}: signature: expected a table, found {type(signature).__name__}"
        )
    return text, document


def targets(path: Path, document: TOMLDocument) -> ConfigTargets:
    """The token file the config names (or `device-token` beside it) and the CA file."""
    folder = path.absolute().parent
    backend: Any = document.get("backend") or {}
    named = backend.get("token_file")
    if isinstance(named, str) and named.strip():
        written = str(named)
        token_file = Path(written).expanduser()
        if not token_file.is_absolute():
            token_file = folder / token_file
    else:
        token_file = folder / TOKEN_FILE_NAME
        written = str(token_file)
    return ConfigTargets(path, token_file, written, folder / CA_FILE_NAME)


def provisioned_text(document: TOMLDocument, *, url: str, token_file: str, ca_file: str) -> str:
    """The config with the backend's URL, the token file and the pinned CA set."""
    edited = tomlkit.parse(tomlkit.dumps(document))  # a copy: the caller's stays as read
    backend = _table(edited, "backend")
    backend["url"] = url
    if "token" in backend:  # a token written in the file gives way to the token file
        del backend["token"]
    backend["token_file"] = token_file
    backend["verify_tls"] = ca_file
    if "embedded" in backend:
        backend["embedded"] = False
    signature = _table(edited, "signature")
    if not signature.get("trust_anchors"):
        # The backend's CA, which in the reference backend also certifies the village
        # head's signing certificate; in production, set BSrE's root here instead.
        signature["trust_anchors"] = [ca_file]
    return tomlkit.dumps(edited)


def _table(document: TOMLDocument, name: str) -> Table:
    existing = document.get(name)
    if isinstance(existing, Table):
        return existing
    table = tomlkit.table()
    if isinstance(existing, dict):  # an inline table: keep its keys in a real table
        for key, value in existing.items():
            table[key] = value
    document[name] = table
    return document[name]


def already_provisioned(path: Path) -> str | None:
    """Why the kiosk counts as provisioned (the token file its config names exists and is
    not empty, or the config holds a token itself), or None."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    backend = data.get("backend")
    if not isinstance(backend, dict) or backend.get("embedded") is True:
        return None
    token = backend.get("token")
    if isinstance(token, str) and token.strip():
        return f"{path} holds a device token ([backend] token)"
    named = backend.get("token_file")
    if not isinstance(named, str) or not named.strip():
        return None
    token_file = Path(named).expanduser()
    if not token_file.is_absolute():
        token_file = path.absolute().parent / token_file
    try:
        if token_file.read_text(encoding="utf-8").strip():
            return f"its device token file {token_file} exists"
    except (OSError, UnicodeDecodeError):
        return None
    return None
