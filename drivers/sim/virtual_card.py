"""A scripted contactless e-KTP that speaks vpcd's protocol to a real pcscd.

`vsmartcard-vpcd` is a pcscd reader driver whose "card slot" is a TCP port: a virtual
card connects to it (127.0.0.1:35963 for the reader `Virtual PCD 00 00`, 35964 for
`Virtual PCD 00 01`). Connecting is putting the card on the reader, closing the
connection is lifting it. Every message, both ways, is a 2-byte big-endian length and
a payload. A 1-byte message from vpcd is a control code (00 power off, 01 power on,
02 reset, 04 get ATR, which we answer with the ATR; vpcd also sends it to poll for the
card's presence); a longer one is a command APDU, answered with a response APDU.

The card answers the PC/SC GET DATA pseudo-APDU `FF CA 00 00 00` (the UID, which real
readers answer themselves for a contactless card) in one of these ways (`CardMode`):

- normal: the UID + 90 00;
- random_uid: a fresh `08 xx xx xx` UID at every insert (ISO 14443-3 random UIDs);
- refuse_get_data: 6A 81 (function not supported);
- wrong_length: 6C XX (wrong Le, XX = the UID length) unless Le is exactly XX;
- slow: the answer comes after `delay_s`;
- removed_mid_read: the connection closes when GET DATA arrives (lifted mid-read).

    card = VirtualCard(port=35963)
    card.insert(uid="04A3B2C1D0E1F2")          # or insert(mode="random_uid"), ...
    card.remove()
    card.close()

One thread per insert serves the connection; `remove()` and `close()` end it and wait
for it. If vpcd goes away (pcscd stopped), the card counts as removed.

`python -m drivers.sim.virtual_card` is a console for the demo: lines on stdin such as
`insert 04A3B2C1D0E1F2`, `insert random`, `mode refuse_get_data`, `remove`, `quit`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import secrets
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

logger = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963  # `Virtual PCD 00 00`; the next port is `Virtual PCD 00 01`
# An ISO 14443-4 type A card as PC/SC part 3 builds its ATR: 3B 80 80 01, no historical
# bytes, TCK = 01. What a contactless reader reports for an e-KTP is of this kind.
DEFAULT_ATR = bytes.fromhex("3B80800101")
DEFAULT_UID = "04A3B2C1D0E1F2"  # the demo resident Siti Rahayu's card
RANDOM_UID_FIRST_BYTE = 0x08
CONNECT_TIMEOUT_S = 3.0
STOP_TIMEOUT_S = 3.0

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
GET_DATA_UID = bytes.fromhex("FFCA0000")  # CLA INS P1 P2; then Le
SW_OK = bytes.fromhex("9000")
SW_FUNCTION_NOT_SUPPORTED = bytes.fromhex("6A81")
SW_WRONG_P1P2 = bytes.fromhex("6A86")
SW_INS_NOT_SUPPORTED = bytes.fromhex("6D00")


class CardMode(StrEnum):
    NORMAL = "normal"
    RANDOM_UID = "random_uid"
    REFUSE_GET_DATA = "refuse_get_data"
    WRONG_LENGTH = "wrong_length"
    SLOW = "slow"
    REMOVED_MID_READ = "removed_mid_read"


class VirtualCardError(Exception):
    """The card cannot do what was asked (vpcd not listening, bad UID, ...)."""


@dataclass(frozen=True)
class Insertion:
    """One time the card was on the reader."""

    uid: str  # upper-case hex, as the card answers it
    mode: CardMode
    connected_at: float  # time.perf_counter() when vpcd accepted the connection


def parse_uid(text: str) -> str:
    """A UID as upper-case hex of 4, 7 or 10 bytes; VirtualCardError otherwise."""
    compact = text.replace(":", "").replace(" ", "").strip()
    try:
        raw = bytes.fromhex(compact)
    except ValueError:
        raise VirtualCardError(f"not a hex card UID: {text[:4]!r}...") from None
    if len(raw) not in (4, 7, 10):
        raise VirtualCardError(f"a card UID has 4, 7 or 10 bytes, not {len(raw)}")
    return raw.hex().upper()


def random_uid() -> str:
    return (bytes([RANDOM_UID_FIRST_BYTE]) + secrets.token_bytes(3)).hex().upper()


class VirtualCard:
    """A contactless card for one vpcd slot, put on and lifted off by scripts."""

    def __init__(
        self,
        *,
        host: str = VPCD_HOST,
        port: int = VPCD_PORT,
        uid: str = DEFAULT_UID,
        mode: CardMode | str = CardMode.NORMAL,
        delay_s: float = 1.0,
        atr: bytes = DEFAULT_ATR,
    ) -> None:
        self.host, self.port = host, port
        self.uid = parse_uid(uid)
        self.mode = CardMode(mode)
        self.delay_s = delay_s  # how long a SLOW card takes to answer GET DATA
        self.atr = atr
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lifted = threading.Event()  # set when the current insertion must end
        self._current: Insertion | None = None
        self.insertions: list[Insertion] = []
        self.get_data_count = 0  # GET DATA commands answered (or refused), for tests

    # --- controls, from any thread ---------------------------------------------------------

    @property
    def inserted(self) -> bool:
        """Is the card on the reader (connected to vpcd)?"""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def current(self) -> Insertion | None:
        return self._current if self.inserted else None

    def insert(
        self,
        uid: str | None = None,
        *,
        mode: CardMode | str | None = None,
        delay_s: float | None = None,
    ) -> Insertion:
        """Put the card on the reader. A card already on it is lifted first.

        Returns once vpcd has accepted the connection; VirtualCardError if it did not."""
        self.remove()
        if uid is not None:
            self.uid = parse_uid(uid)
        if mode is not None:
            self.mode = CardMode(mode)
        if delay_s is not None:
            self.delay_s = delay_s
        the_uid = random_uid() if self.mode is CardMode.RANDOM_UID else self.uid
        connection = self._connect()
        insertion = Insertion(the_uid, self.mode, time.perf_counter())
        with self._lock:
            self._socket, self._current = connection, insertion
            self._lifted = threading.Event()
            self.insertions.append(insertion)
            self._thread = threading.Thread(
                target=self._serve,
                args=(connection, insertion, self._lifted),
                name=f"virtual-card-{self.port}",
                daemon=True,
            )
            self._thread.start()
        logger.info("virtual card on vpcd port %d (%s)", self.port, insertion.mode.value)
        return insertion

    def remove(self) -> None:
        """Lift the card off the reader (nothing happens if it is not on it)."""
        with self._lock:
            thread, connection, lifted = self._thread, self._socket, self._lifted
            self._thread = self._socket = None
        lifted.set()
        if connection is not None:
            _close(connection)
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT_S)

    def close(self) -> None:
        self.remove()

    def __enter__(self) -> VirtualCard:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def wait_removed(self, timeout_s: float) -> bool:
        """Wait until the connection has ended (lifted, or vpcd went away)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        return not self.inserted

    # --- the connection, on the card's own thread ----------------------------------------

    def _connect(self) -> socket.socket:
        try:
            connection = socket.create_connection((self.host, self.port), CONNECT_TIMEOUT_S)
        except OSError as error:
            raise VirtualCardError(
                f"vpcd is not listening on {self.host}:{self.port} "
                f"(is pcscd running with vsmartcard-vpcd?): {error}"
            ) from None
        connection.settimeout(None)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _serve(
        self, connection: socket.socket, insertion: Insertion, lifted: threading.Event
    ) -> None:
        try:
            while not lifted.is_set():
                message = _receive(connection)
                if message is None:
                    break  # vpcd closed the slot: pcscd stopped
                answer = self._answer(message, insertion, lifted)
                if answer is None:
                    break  # lifted mid-read
                if answer:
                    _send(connection, answer)
        except OSError:
            pass  # lifted (socket closed by remove()) or vpcd gone: either way, removed
        finally:
            _close(connection)
            logger.info("virtual card off vpcd port %d", self.port)

    def _answer(
        self, message: bytes, insertion: Insertion, lifted: threading.Event
    ) -> bytes | None:
        """The reply to one message: b"" for none, None to drop the connection."""
        if len(message) == 1:
            return self.atr if message[0] == GET_ATR else b""
        if message[:4] != GET_DATA_UID:
            return _other_apdu(message)
        self.get_data_count += 1
        return self._get_data(message, insertion, lifted)

    def _get_data(self, apdu: bytes, insertion: Insertion, lifted: threading.Event) -> bytes | None:
        uid = bytes.fromhex(insertion.uid)
        le = apdu[4] if len(apdu) > 4 else 0  # Le = 00: as many as there are
        mode = insertion.mode
        if mode is CardMode.REMOVED_MID_READ:
            return None
        if mode is CardMode.REFUSE_GET_DATA:
            return SW_FUNCTION_NOT_SUPPORTED
        if mode is CardMode.WRONG_LENGTH and le != len(uid):
            return bytes([0x6C, len(uid)])
        if mode is CardMode.SLOW and lifted.wait(self.delay_s):
            return None
        return uid + SW_OK


def _other_apdu(apdu: bytes) -> bytes:
    if apdu[:2] == bytes.fromhex("FFCA"):
        return SW_WRONG_P1P2  # GET DATA for the historical bytes: not kept here
    return SW_INS_NOT_SUPPORTED


def _receive(connection: socket.socket) -> bytes | None:
    header = _read_exactly(connection, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    return _read_exactly(connection, length)


def _read_exactly(connection: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        _ack_at_once(connection)
        chunk = connection.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _ack_at_once(connection: socket.socket) -> None:
    """vpcd writes a message's length and its payload separately, with Nagle on: the
    payload waits for our ACK of the length, which Linux delays up to 40 ms. A real card
    has no TCP in between, so acknowledge at once (TCP_QUICKACK lasts for one read)."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _send(connection: socket.socket, payload: bytes) -> None:
    connection.sendall(struct.pack(">H", len(payload)) + payload)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        connection.close()


# --- the console ---------------------------------------------------------------------------

HELP = """commands:
  insert [UID|random]      put the card on the reader (default: the last UID)
  remove                   lift it
  tap [UID|random]         insert, wait a second, remove
  mode MODE [DELAY_S]      normal, random_uid, refuse_get_data, wrong_length,
                           slow (DELAY_S, default 1), removed_mid_read
  status                   what the card is doing
  quit"""


def run_console(card: VirtualCard, lines: TextIO, out: TextIO) -> None:
    print(HELP, file=out, flush=True)
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] in ("quit", "exit"):
            break
        try:
            print(command(card, words), file=out, flush=True)
        except (VirtualCardError, ValueError) as error:
            print(f"error: {error}", file=out, flush=True)


def command(card: VirtualCard, words: list[str]) -> str:
    verb, args = words[0], words[1:]
    if verb in ("insert", "tap"):
        uid, mode = _insert_arguments(card, args)
        card.insert(uid, mode=mode)
        if verb == "tap":
            time.sleep(1.0)
            card.remove()
            return "tapped"
        return f"inserted ({card.mode.value})"
    if verb == "remove":
        card.remove()
        return "removed"
    if verb == "mode" and args:
        card.mode = CardMode(args[0])
        if len(args) > 1:
            card.delay_s = float(args[1])
        return f"mode {card.mode.value}"
    if verb == "status":
        where = "on the reader" if card.inserted else "off the reader"
        return f"{where}, mode {card.mode.value}, vpcd {card.host}:{card.port}"
    return HELP


def _insert_arguments(card: VirtualCard, args: list[str]) -> tuple[str | None, CardMode | None]:
    if not args:
        return None, None
    if args[0] == "random":
        return None, CardMode.RANDOM_UID
    mode = CardMode.NORMAL if card.mode is CardMode.RANDOM_UID else None
    return args[0], mode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.sim.virtual_card",
        description="A virtual contactless e-KTP on vpcd (pcscd + vsmartcard-vpcd).",
    )
    parser.add_argument("--host", default=VPCD_HOST)
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    parser.add_argument("--uid", default=DEFAULT_UID)
    parser.add_argument("--mode", default=CardMode.NORMAL.value, choices=list(CardMode))
    parser.add_argument("--delay", type=float, default=1.0, help="seconds, for mode slow")
    args = parser.parse_args(argv)
    try:
        card = VirtualCard(
            host=args.host, port=args.port, uid=args.uid, mode=args.mode, delay_s=args.delay
        )
    except VirtualCardError as error:
        parser.error(str(error))
    with card:
        run_console(card, sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
