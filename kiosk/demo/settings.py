"""The demo's kiosk configuration: every device simulated, the reference backend embedded
(or a running one named by URL). Built through the same loader as a real config file."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import KioskSettings


DEMO_TECHNICIAN_PIN = "24681357"
# hash_pin(DEMO_TECHNICIAN_PIN), made once: scrypt at every demo start would cost ~50 ms.
DEMO_TECHNICIAN_PIN_HASH = (
    "scrypt$16384$8$1$V/+MAeNRJKs/vBjX4nRe1g==$HB+eijt9EYw7eV2WGUZ4DgltJj5skfYalq1S93tn50g="
)

DEMO_CONFIG = """
# The demo: every device simulated, the reference backend embedded in the process.
[kiosk]
state_dir = {state_dir}
fullscreen = false
screen_width = {width}
screen_height = {height}

[backend]
{backend}

[signature]
trust_anchors = [{anchors}]

[technician]
# The demo's technician PIN is 24681357 (five quick taps on the attract screen's
# bottom-right corner). A real kiosk sets its own: `apm-kiosk technician hash-pin`.
pin_hash = "{demo_pin_hash}"

[devices.receipt_printer]
type = "escpos"
transport = {receipt_transport}

[devices.document_printer]
type = "simulated"
# The paper tray, on disk: what was printed survives a killed kiosk (and tells a
# restarted one which letters did come out).
output_dir = {paper}

[devices.card_reader]
{card_reader}
{scanner}"""


def demo_settings(
    state_dir: Path,
    width: int = 1280,
    height: int = 800,
    auto_sign_s: float = 2.0,
    backend_url: str | None = None,
    trust_anchors: Sequence[Path] = (),
    receipt_transport: Mapping[str, Any] | None = None,
    card_reader: Mapping[str, Any] | None = None,
    scanner: Mapping[str, Any] | None = None,
) -> KioskSettings:
    """Settings for the demo, through the same loader and validation as a real file.

    With `backend_url`, the kiosk uses that running reference server (its demo token)
    instead of embedding one; a URL backend needs `trust_anchors` (the CA certificates
    its letters are signed under). The embedded server's anchor is its demo CA, in
    `<state_dir>/embedded-server/demo-ca/ca.pem` (see KioskSettings.trust_anchor_paths).
    """
    from kiosk.config import load_config_text

    if backend_url:
        backend = f'url = {toml_string(backend_url)}\ntoken = "demo-kiosk-token"'
    else:
        backend = f"embedded = true\nembedded_auto_sign_s = {auto_sign_s}"
    text = DEMO_CONFIG.format(
        demo_pin_hash=DEMO_TECHNICIAN_PIN_HASH,
        state_dir=toml_string(state_dir.as_posix()),
        width=width,
        height=height,
        backend=backend,
        paper=toml_string((state_dir / "paper").as_posix()),
        anchors=", ".join(toml_string(Path(a).as_posix()) for a in trust_anchors),
        receipt_transport=toml_inline_table(receipt_transport or {"type": "simulated"}),
        card_reader=toml_pairs(card_reader or {"type": "simulated"}),
        scanner=f"\n[devices.scanner]\n{toml_pairs(scanner)}\n" if scanner else "",
    )
    return load_config_text(text, source="<demo config>", base_dir=state_dir)


def toml_inline_table(table: Mapping[str, Any]) -> str:
    """{ key = value, ... } for strings, numbers and booleans."""
    return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in table.items()) + " }"


def toml_pairs(table: Mapping[str, Any]) -> str:
    """key = value lines, for a table's body."""
    return "\n".join(f"{key} = {toml_value(item)}" for key, item in table.items())


def toml_value(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return repr(item)
    return toml_string(str(item))


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML): paths with quotes stay paths."""
    return json.dumps(value, ensure_ascii=False)
