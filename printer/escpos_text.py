"""ESC/POS bytes back to plain text: for the demo's `*.txt` files and for tests.

No package renders ESC/POS to text, so this reads the commands this project sends (and
the common ones around them): text in the selected code page, line feeds and paper
feeds, alignment and double width (applied, so the text looks like the paper), native
QR codes as "[QR: payload]", barcodes as "[BARCODE: data]", raster images as "[IMAGE]",
cuts as "[CUT]". Styles it cannot show (bold, underline) and real-time status requests
are dropped. The paper fed to reach the cutter is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.sim.escpos_stream import Token, tokenize

# ESC t n: Epson's numbering of the code pages python-escpos picks for Latin text.
CODE_PAGES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}
ALIGNMENTS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
QR_CODE, STORE, PRINT = 0x31, 0x50, 0x51


def decode_escpos(data: bytes, columns: int = 48) -> str:
    """The text of ESC/POS `data` as printed on paper `columns` characters wide."""
    page = _Page(columns)
    for token in tokenize(data):
        page.take(token)
    return page.text()


@dataclass
class _Page:
    columns: int
    lines: list[str] = field(default_factory=list)
    line: str = ""
    align: str = "left"
    width: int = 1  # character width multiplier
    encoding: str = "cp437"
    qr_data: bytes = b""

    def take(self, token: Token) -> None:
        if token.is_text:
            self.line += token.data.decode(self.encoding, errors="replace")
        elif token.is_cut:
            self._cut()
        else:
            handler = _HANDLERS.get(token.code)
            if handler is not None:
                handler(self, token.data)

    def text(self) -> str:
        if self.line:
            self.newline()
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def newline(self) -> None:
        self.lines.append(self._aligned(self.line))
        self.line = ""

    def block(self, text: str) -> None:
        """A line of its own, e.g. a QR code or a barcode."""
        if self.line:
            self.newline()
        self.lines.append(self._aligned(text, width=1))

    def _aligned(self, text: str, width: int | None = None) -> str:
        spare = self.columns - len(text) * (width or self.width)
        if spare <= 0 or self.align == "left":
            return text.rstrip()
        padding = spare // 2 if self.align == "center" else spare
        return (" " * padding + text).rstrip()

    def _cut(self) -> None:
        if self.line:
            self.newline()
        while self.lines and not self.lines[-1]:
            self.lines.pop()  # paper fed to reach the cutter, not content
        self.lines.append("[CUT]")

    # --- command handlers ------------------------------------------------------------

    def reset(self, _data: bytes) -> None:
        self.align, self.width, self.encoding = "left", 1, "cp437"

    def line_feed(self, _data: bytes) -> None:
        self.newline()

    def tab(self, _data: bytes) -> None:
        self.line += " " * (8 - len(self.line) % 8)

    def feed_lines(self, data: bytes) -> None:
        count = data[0]
        if self.line:
            self.newline()
            count -= 1
        self.lines.extend([""] * max(count, 0))

    def print_mode(self, data: bytes) -> None:
        self.width = 2 if data[0] & 0x20 else 1

    def character_size(self, data: bytes) -> None:
        self.width = ((data[0] >> 4) & 0x07) + 1

    def alignment(self, data: bytes) -> None:
        self.align = ALIGNMENTS.get(data[0], self.align)

    def code_page(self, data: bytes) -> None:
        self.encoding = CODE_PAGES.get(data[0], "latin-1")

    def two_d_code(self, data: bytes) -> None:
        payload = data[2:]  # after pL pH: cn fn [m] d...
        if len(payload) < 2 or payload[0] != QR_CODE:
            return
        if payload[1] == STORE:
            self.qr_data = payload[3:]
        elif payload[1] == PRINT:
            self.block(f"[QR: {self.qr_data.decode('utf-8', errors='replace')}]")

    def barcode(self, data: bytes) -> None:
        content = data[1:-1] if data[0] <= 6 else data[2:]
        self.block(f"[BARCODE: {content.decode('ascii', errors='replace')}]")

    def image(self, _data: bytes) -> None:
        self.block("[IMAGE]")


_HANDLERS = {
    b"\x1b@": _Page.reset,
    b"\n": _Page.line_feed,
    b"\t": _Page.tab,
    b"\x1bd": _Page.feed_lines,
    b"\x1b!": _Page.print_mode,
    b"\x1d!": _Page.character_size,
    b"\x1ba": _Page.alignment,
    b"\x1bt": _Page.code_page,
    b"\x1d(k": _Page.two_d_code,
    b"\x1dk": _Page.barcode,
    b"\x1dv": _Page.image,
}
