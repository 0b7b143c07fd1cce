"""An ESC/POS receipt printer emulator on a real link, for tests, benchmarks and the demo.

    python -m printer.emulator --tcp 9100 --out out/receipts
    python -m printer.emulator --pty /tmp/prn --baud 115200 --fault paper_low

It listens on TCP (127.0.0.1 unless HOST is given) or on a socat pty pair in DIR (the
kiosk opens DIR/ttyPRN as its serial port), answers status requests from its scripted
state, and writes each receipt as NNNN.bin (the raw ESC/POS bytes) and NNNN.txt (its
text, decoded) into --out. It prints one line per receipt, and reads control lines on
stdin (and on --control PORT, a TCP port of 127.0.0.1, one answer line per line):

    inject paper_out | clear cover_open | unplug | plug | status | help | quit

Faults: paper_out, paper_low, cover_open, no_status, unplugged. `--script FILE` takes a
TOML file with the same keys as a simulated printer's settings:

    faults = ["paper_low"]
    fault_script = [{at_job = 2, fault = "paper_out"},
                    {at_job = 3, after_bytes = 200, fault = "cover_open"}]

The first line it prints says where it listens and the `transport` a kiosk config
points at it with. It runs until "quit", SIGINT or SIGTERM (the end of stdin alone does
not stop it, so it can run in the background).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import sys
import threading
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from drivers.sim.escpos_peer import (
    EscposPeer,
    LineControlServer,
    PeerError,
    PeerFaultSettings,
    PeerReceipt,
)
from drivers.sim.faults import ESCPOS_PRINTER_FAULTS
from printer.escpos_text import decode_escpos

FAULT_NAMES = sorted(fault.value for fault in ESCPOS_PRINTER_FAULTS)


class Emulator:
    """The emulator's run: a peer, its receipt files, its console and control socket."""

    def __init__(self, options: argparse.Namespace, out: TextIO) -> None:
        self._out = out
        self._columns: int = options.columns
        self._lock = threading.Lock()  # receipt lines and answers come from several threads
        self._quit = threading.Event()
        faults = _fault_settings(options.script, options.fault)
        peer_options: dict[str, Any] = {
            "faults": faults.faults,
            "fault_script": faults.fault_script,
            "baud": options.baud,
            "out_dir": options.out,
            "on_receipt": self._receipt_printed,
        }
        if options.tcp is not None:
            host, port = options.tcp
            self.peer = EscposPeer.tcp(port, host, **peer_options)
        else:
            try:
                options.pty.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise PeerError(f"cannot make {options.pty}: {error.strerror}") from None
            self.peer = EscposPeer.pty(options.pty, **peer_options)
        self._control_address: tuple[str, int] | None = options.control
        self.control: LineControlServer | None = None

    def run(self, console: int | None) -> None:
        """Serve until "quit" or a signal. `console`: the file descriptor of stdin."""
        self.peer.start()
        try:
            if self._control_address is not None:
                host, port = self._control_address
                self.control = LineControlServer(self.handle, port, host)
            self._say(self._ready_line())
            self._read_console(console)
        finally:
            if self.control is not None:
                self.control.stop()
            self.peer.stop()

    def stop(self) -> None:
        self._quit.set()

    def handle(self, line: str) -> str:
        """One control line, from stdin or the control socket."""
        verb = line.strip().lower()
        if verb == "quit":
            self.stop()
            return "ok: quitting"
        answer = self.peer.command(line)
        return answer + ", quit" if verb == "help" else answer

    def _ready_line(self) -> str:
        transport = ", ".join(
            f"{key} = {_toml_value(value)}" for key, value in self.peer.transport_settings().items()
        )
        control = f"; control on 127.0.0.1:{self.control.port}" if self.control else ""
        return (
            f"emulator ready: {self.peer.describe()}{control}; "
            f"kiosk config: transport = {{ {transport} }}"
        )

    def _read_console(self, console: int | None) -> None:
        pending = b""
        while not self._quit.is_set():
            if console is None:
                self._quit.wait(0.5)
                continue
            ready, _, _ = select.select([console], [], [], 0.2)
            if not ready:
                continue
            data = os.read(console, 4096)
            if not data:  # end of stdin: keep running until quit or a signal
                console = None
                continue
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    self._say(self.handle(line.decode("utf-8", errors="replace")))

    def _receipt_printed(self, receipt: PeerReceipt) -> None:
        text = decode_escpos(receipt.data, self._columns)
        where = ""
        if receipt.path is not None:
            text_path = receipt.path.with_suffix(".txt")
            text_path.write_text(text, encoding="utf-8")
            where = f" -> {receipt.path} {text_path.name}"
        self._say(f"receipt {receipt.number}: {len(receipt.data)} bytes, {_summary(text)}{where}")

    def _say(self, line: str) -> None:
        with self._lock:
            print(line, file=self._out, flush=True)


def _summary(text: str) -> str:
    """What tells receipts apart on one line: the QR payload, else the first text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    qr = next((line for line in lines if line.startswith("[QR:")), None)
    return qr or (lines[0] if lines else "(empty)")


def _toml_value(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)  # JSON strings are TOML


def _fault_settings(script: Path | None, faults: Sequence[str]) -> PeerFaultSettings:
    table: dict[str, Any] = {}
    if script is not None:
        try:
            table = tomllib.loads(script.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise PeerError(f"{script}: {error}") from None
    table["faults"] = [*table.get("faults", []), *faults]
    try:
        return PeerFaultSettings.model_validate(table)
    except ValidationError as error:
        source = str(script) if script is not None else "--fault"
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise PeerError(f"{source}: {problems}") from None


def host_port(text: str) -> tuple[str, int]:
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port: {port!r} (give [HOST:]PORT)") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {number}")
    return host or "127.0.0.1", number


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {number}")
    return number


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m printer.emulator",
        description="An ESC/POS receipt printer emulator on TCP or a pty pair.",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", type=host_port, metavar="[HOST:]PORT", help="listen on TCP")
    where.add_argument(
        "--pty", type=Path, metavar="DIR", help="make DIR/ttyPRN (the kiosk's port) with socat"
    )
    p.add_argument("--baud", type=positive_int, help="read no faster than this line (8N1)")
    p.add_argument("--out", type=Path, metavar="DIR", help="write NNNN.bin and NNNN.txt here")
    p.add_argument("--columns", type=positive_int, default=48, help="for the .txt (48 or 32)")
    p.add_argument(
        "--fault", action="append", default=[], choices=FAULT_NAMES, help="active from the start"
    )
    p.add_argument("--script", type=Path, metavar="FILE", help="TOML: faults, fault_script")
    p.add_argument(
        "--control", type=host_port, metavar="[HOST:]PORT", help="also take control lines on TCP"
    )
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    options = parser().parse_args(argv)
    try:
        emulator = Emulator(options, out or sys.stdout)
    except (PeerError, ValueError) as error:
        print(f"emulator: {error}", file=sys.stderr)
        return 2
    restore = _stop_on_signals(emulator.stop)
    try:
        emulator.run(_stdin_fd())
    except PeerError as error:
        print(f"emulator: {error}", file=sys.stderr)
        return 1
    finally:
        restore()
    return 0


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno() if sys.stdin is not None else None
    except (OSError, ValueError):  # closed or replaced
        return None


def _stop_on_signals(stop: Callable[[], None]) -> Callable[[], None]:
    """SIGINT and SIGTERM end the run cleanly (socat stopped, ports closed)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {
        number: signal.signal(number, lambda _n, _f: stop())
        for number in (signal.SIGINT, signal.SIGTERM)
    }

    def restore() -> None:
        for number, handler in previous.items():
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(number, handler)

    return restore


if __name__ == "__main__":
    sys.exit(main())
