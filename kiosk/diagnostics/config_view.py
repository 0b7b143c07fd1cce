"""The effective configuration as a technician may see it: every value the kiosk runs
with (defaults included), secrets masked. Shown on the technician screen and put in
support bundles, which leave the kiosk."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import KioskSettings

MASK = "********"
# Keys whose values are secrets wherever they appear (a transport's password too).
SECRET_WORDS = ("token", "password", "secret", "pin_hash", "private_key", "api_key")


def effective_config(settings: KioskSettings) -> dict[str, Any]:
    sections: dict[str, Any] = {
        "kiosk": settings.kiosk.model_dump(mode="json"),
        "backend": settings.backend.model_dump(mode="json"),
        "signature": settings.signature.model_dump(mode="json"),
        "storage": settings.storage.model_dump(mode="json"),
        "sync": settings.sync.model_dump(mode="json"),
        "timeouts": settings.timeouts.model_dump(mode="json"),
        "logging": settings.logging.model_dump(mode="json"),
        "technician": settings.technician.model_dump(mode="json"),
    }
    for role in settings.roles:
        device = settings.device_settings(role).model_dump(mode="json")
        sections[f"devices.{role}"] = {"type": settings.device_type(role)} | device
    return masked(sections)


def masked(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    # A token *file* names where the secret is, not the secret: shown.
    secret = any(word in key.lower() for word in SECRET_WORDS) and not key.endswith("_file")
    return MASK if secret and value not in (None, "") else value


def render_toml_like(config: dict[str, Any], source: str = "") -> str:
    """TOML-shaped text (values as JSON, which TOML mostly shares) for reading, not loading."""
    lines = [f"# effective configuration{f' of {source}' if source else ''}, secrets masked"]
    for section, values in config.items():
        lines += ["", f"[{section}]"]
        for key, value in values.items():
            if value is not None:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
