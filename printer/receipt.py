"""What goes on a thermal receipt, as plain data; the renderers decide how it looks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Receipt:
    """A receipt: header lines, a title, label/value rows, a big tracking code, a QR code
    and footer lines. All text is `str`; sequences are stored as tuples."""

    title: str
    tracking_code: str
    qr_payload: str = ""
    header: Sequence[str] = ()
    rows: Sequence[tuple[str, str]] = ()
    footer: Sequence[str] = ()
    tracking_label: str = "Kode pelacakan"

    def __post_init__(self) -> None:
        header, footer = tuple(self.header), tuple(self.footer)
        rows = tuple((label, value) for label, value in self.rows)
        for text in (self.title, self.tracking_code, self.qr_payload, self.tracking_label):
            _require_str(text)
        for text in (*header, *footer, *(part for row in rows for part in row)):
            _require_str(text)
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "footer", footer)


def _require_str(value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"receipt text must be str, not {type(value).__name__}: {value!r}")
