"""Split an ESC/POS byte stream into commands, knowing how long each command is.

Shared by the virtual printer (which must find status requests and cuts without being
fooled by the same bytes inside a QR code's data) and by the receipt decoder in
`printer.escpos_text`. It knows the commands a receipt printer commonly gets, with
their parameter lengths from Epson's ESC/POS reference; an unknown `ESC x` / `GS x` /
`FS x` is taken to have no parameters.

A token is `(code, data)`:
- `code == b""`: printable text, `data` holds the bytes (in the current code page);
- `code` is one control byte (LF, CR, HT, FF, ...): `data` is empty;
- otherwise `code` is the command's fixed prefix (e.g. `ESC !`, `GS ( k`, `DLE EOT`)
  and `data` its parameters and payload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
EOT, ENQ, DC4 = 0x04, 0x05, 0x14

DLE_EOT = bytes([DLE, EOT])
DLE_ENQ = bytes([DLE, ENQ])
INTRODUCERS = frozenset({ESC, GS, FS, DLE})
CUTS = frozenset({b"\x1dV", b"\x1bi", b"\x1bm"})  # GS V, and the legacy ESC i / ESC m


class Token(NamedTuple):
    code: bytes
    data: bytes

    @property
    def raw(self) -> bytes:
        return self.code + self.data

    @property
    def is_text(self) -> bool:
        return self.code == b""

    @property
    def is_realtime(self) -> bool:
        """A real-time command (DLE EOT / ENQ / DC4): answered at once, never printed."""
        return self.code[:1] == bytes([DLE])

    @property
    def is_cut(self) -> bool:
        return self.code in CUTS


# A parameter-length rule: given the bytes after the command prefix, how many belong to
# the command (None: not enough bytes yet to tell).
Rule = Callable[[bytes], int | None]


def fixed(n: int) -> Rule:
    return lambda rest: n


def _le(rest: bytes, start: int, count: int) -> int | None:
    if len(rest) < start + count:
        return None
    return int.from_bytes(rest[start : start + count], "little")


def _length_prefixed(rest: bytes) -> int | None:
    """`pL pH` then that many bytes (GS ( k, GS ( L, FS ( ...)."""
    size = _le(rest, 0, 2)
    return None if size is None else 2 + size


def _raster_image(rest: bytes) -> int | None:
    """GS v 0 m xL xH yL yH d1...dk, k = x * y."""
    if len(rest) < 6:
        return None
    width, height = _le(rest, 2, 2) or 0, _le(rest, 4, 2) or 0
    return 6 + width * height


def _large_graphics(rest: bytes) -> int | None:
    """GS 8 L p1 p2 p3 p4 then that many bytes."""
    size = _le(rest, 0, 4)
    return None if size is None else 4 + size


def _bit_image(rest: bytes) -> int | None:
    """ESC * m nL nH d1...dk: 8-dot modes take n bytes, 24-dot modes 3n."""
    if len(rest) < 3:
        return None
    columns = _le(rest, 1, 2) or 0
    return 3 + columns * (3 if rest[0] in (32, 33) else 1)


def _downloaded_image(rest: bytes) -> int | None:
    """GS * x y d1...dk, k = x * y * 8."""
    if len(rest) < 2:
        return None
    return 2 + rest[0] * rest[1] * 8


def _barcode(rest: bytes) -> int | None:
    """GS k m: m <= 6 is NUL-terminated data, m >= 65 has a length byte."""
    if not rest:
        return None
    if rest[0] <= 6:
        end = rest.find(b"\x00", 1)
        return None if end < 0 else end + 1
    if len(rest) < 2:
        return None
    return 2 + rest[1]


def _cut(rest: bytes) -> int | None:
    """GS V m, plus a feed amount n for m = 65, 66, 97, 98, 103, 104."""
    if not rest:
        return None
    return 2 if rest[0] in (65, 66, 97, 98, 103, 104) else 1


def _nul_terminated(rest: bytes) -> int | None:
    end = rest.find(b"\x00")
    return None if end < 0 else end + 1


def _dle_dc4(rest: bytes) -> int | None:
    """DLE DC4 fn ...: the length after DC4, fn included. fn 8 (clear buffers) takes
    d1..d7, fn 7 (send status) one byte m, fn 1 and 2 (pulse, power off) two."""
    if not rest:
        return None
    return {8: 8, 7: 2}.get(rest[0], 3)


ESC_RULES: dict[int, Rule] = {
    **{ord(c): fixed(0) for c in "@2<iLmS"},
    **{ord(c): fixed(1) for c in "!-3=?EGJMRTUVadelrt{ %"},
    ord("c"): fixed(2),
    ord("$"): fixed(2),
    ord("\\"): fixed(2),
    ord("p"): fixed(3),
    ord("W"): fixed(8),
    ord("*"): _bit_image,
    ord("D"): _nul_terminated,
}

GS_RULES: dict[int, Rule] = {
    **{ord(c): fixed(1) for c in "!BEHIT/abfhrwj"},
    **{ord(c): fixed(2) for c in "$LPW\\"},
    ord(":"): fixed(0),
    ord("^"): fixed(3),
    ord("V"): _cut,
    ord("k"): _barcode,
    ord("v"): _raster_image,
    ord("*"): _downloaded_image,
}

FS_RULES: dict[int, Rule] = {
    **{ord(c): fixed(0) for c in ".&"},
    **{ord(c): fixed(1) for c in "!-CW"},
    **{ord(c): fixed(2) for c in "pS"},
}

DLE_RULES: dict[int, Rule] = {EOT: fixed(1), ENQ: fixed(1), DC4: _dle_dc4}

# Two-byte sub-commands: (prefix byte, second byte, third byte) -> rule.
THREE_BYTE_RULES: dict[tuple[int, int, int], Rule] = {
    **{(GS, ord("("), c): _length_prefixed for c in b"ACDEHKLMNPQkz"},
    **{(FS, ord("("), c): _length_prefixed for c in b"ACEL"},
    (GS, ord("8"), ord("L")): _large_graphics,
}

RULES = {ESC: ESC_RULES, GS: GS_RULES, FS: FS_RULES, DLE: DLE_RULES}


class EscposTokenizer:
    """Incremental: `feed` whatever bytes arrived; an unfinished command waits for more."""

    def __init__(self) -> None:
        self._pending = b""

    @property
    def pending(self) -> bytes:
        """Bytes of a command not complete yet."""
        return self._pending

    def feed(self, data: bytes) -> list[Token]:
        buffer = self._pending + data
        tokens: list[Token] = []
        position = 0
        while position < len(buffer):
            token = _next_token(buffer, position)
            if token is None:
                break
            tokens.append(token)
            position += len(token.raw)
        self._pending = buffer[position:]
        return tokens


def tokenize(data: bytes) -> list[Token]:
    """All complete tokens of a finished stream (a truncated last command is dropped)."""
    return EscposTokenizer().feed(data)


def _next_token(buffer: bytes, start: int) -> Token | None:
    first = buffer[start]
    if first in INTRODUCERS:
        return _command(buffer, start)
    if first < 0x20 or first == 0x7F:
        return Token(bytes([first]), b"")
    end = start
    while end < len(buffer) and buffer[end] >= 0x20 and buffer[end] != 0x7F:
        end += 1
    return Token(b"", buffer[start:end])


def _command(buffer: bytes, start: int) -> Token | None:
    if len(buffer) < start + 2:
        return None
    first, second = buffer[start], buffer[start + 1]
    code_length, rule = 2, RULES[first].get(second, fixed(0))
    if (first, second) in ((GS, ord("(")), (FS, ord("(")), (GS, ord("8"))):
        if len(buffer) < start + 3:
            return None
        code_length = 3
        rule = THREE_BYTE_RULES.get((first, second, buffer[start + 2]), _length_prefixed)
    rest = buffer[start + code_length :]
    length = rule(rest)
    if length is None or len(rest) < length:
        return None
    return Token(buffer[start : start + code_length], rest[:length])
