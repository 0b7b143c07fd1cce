"""The village emblem in the kiosk configuration: a small PNG, or a clear reason why not."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from apm_api.logo import MAX_BYTES, LogoError, decode_logo
from apm_server import demo_data


def png(width: int, height: int, padding: int = 0) -> bytes:
    """A real PNG header and an IDAT of `padding` bytes: enough for the checks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"\0" * padding)
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_the_demo_villages_emblem_is_a_usable_logo():
    data = decode_logo(demo_data.logo_png())
    assert data.startswith(b"\x89PNG") and len(data) < MAX_BYTES


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not base64 at all!", "not base64"),
        (b64(b"\xff\xd8\xff\xe0" + b"\0" * 40), "not a PNG"),  # a JPEG
        (b64(b"\x89PNG\r\n\x1a\n"), "not a PNG"),  # cut short
        (b64(png(4000, 300)), "4000x300 pixels"),
        (b64(png(0, 10)), "0x10 pixels"),
        (b64(png(200, 200, padding=MAX_BYTES)), "larger than 64 KiB"),
        ("A" * (MAX_BYTES * 2), "larger than 64 KiB"),
    ],
)
def test_a_bad_logo_is_refused_with_its_reason(text: str, says: str):
    with pytest.raises(LogoError, match=says):
        decode_logo(text)
