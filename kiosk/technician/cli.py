"""`apm-kiosk technician hash-pin [--stdin]`: a technician PIN's hash for the config.

Asks for the PIN twice without echoing it (or reads one line from standard input with
--stdin, for provisioning scripts) and prints the line to put in the config:

    [technician]
    pin_hash = "scrypt$16384$8$1$...$..."
"""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.technician.pin import PIN_RULE, hash_pin, is_valid_pin

EXIT_OK = 0
EXIT_BAD_PIN = 2
EXIT_INTERRUPTED = 130


def run_hash_pin(args: argparse.Namespace) -> int:
    try:
        pin = _read_from_stdin() if args.stdin else _ask_twice()
    except (EOFError, KeyboardInterrupt):
        print("apm-kiosk: no PIN given", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Mismatch:
        print("apm-kiosk: the two PINs differ; nothing printed", file=sys.stderr)
        return EXIT_BAD_PIN
    if not is_valid_pin(pin):
        print(f"apm-kiosk: a technician PIN has {PIN_RULE}", file=sys.stderr)
        return EXIT_BAD_PIN
    print(hash_pin(pin))
    if not args.stdin:
        print('Put it in the config file as [technician] pin_hash = "..."', file=sys.stderr)
    return EXIT_OK


class _Mismatch(Exception):
    pass


def _ask_twice() -> str:
    first = getpass.getpass(f"Technician PIN ({PIN_RULE}): ")
    if not is_valid_pin(first):
        return first  # said once, without asking again
    if getpass.getpass("The same PIN again: ") != first:
        raise _Mismatch
    return first


def _read_from_stdin() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.strip()
