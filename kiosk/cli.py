"""The `apm-kiosk` command: run the kiosk, run the demo, check a configuration.

Imports nothing heavy at module level (no Qt, no requests, no pydantic): `--version` and
`--help` answer at once, and each subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from kiosk import __version__

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_CONFIG = 2
EXIT_NO_DISPLAY = 5  # after kiosk.ui.app's EXIT_QML_FAILED = 3 and EXIT_RUNTIME_FAILED = 4
LOG_LEVELS = ("debug", "info", "warning", "error")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apm-kiosk",
        description="APM Kiosk: self-service terminal for village letters.",
    )
    parser.add_argument("--version", action="version", version=f"apm-kiosk {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks for unexpected errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run the kiosk")
    run.add_argument(
        "--config",
        metavar="PATH",
        help="configuration file (default: $APM_KIOSK_CONFIG, else /etc/apm-kiosk/kiosk.toml)",
    )
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo", help="run the demo: simulated devices, embedded backend")
    demo.add_argument("--autoplay", action="store_true", help="play a citizen's visit by itself")
    demo.add_argument("--out", metavar="DIR", help="folder for screenshots and printouts")
    demo.add_argument("--script", metavar="FILE", help="demo script to play")
    demo.add_argument(
        "--exit-after-start", action="store_true", help="quit once the attract screen shows"
    )
    demo.add_argument(
        "--backend-url",
        metavar="URL",
        help="use a running apm-server (demo data, token demo-kiosk-token) instead of the embedded one",
    )
    demo.add_argument(
        "--trust-anchor",
        metavar="PEM",
        action="append",
        help="CA certificate the letters must be signed under (repeatable; needed with --backend-url)",
    )
    demo.add_argument(
        "--receipt-printer",
        metavar="SPEC",
        default="simulated",
        help="simulated (default), emulator (ESC/POS emulator on TCP), emulator-pty "
        "(on a socat pty at 115200 baud), or tcp:HOST:PORT (a network printer)",
    )
    demo.add_argument(
        "--orientation",
        choices=("landscape", "portrait"),
        default="landscape",
        help="the window's shape: landscape 1280x800 (default) or portrait 800x1280",
    )
    demo.add_argument(
        "--language", choices=("id", "en"), default="id", help="the screens' language to start in"
    )
    demo.add_argument(
        "--large-text", action="store_true", help="large text, as a citizen would choose it"
    )
    demo.add_argument(
        "--high-contrast", action="store_true", help="high contrast, as a citizen would choose it"
    )
    demo.add_argument(
        "--card-reader",
        metavar="SPEC",
        default="simulated",
        help="simulated (default), pcsc (the first contactless PC/SC reader), pcsc:PATTERN "
        "(the PC/SC reader so named), or virtual-card[:PORT] (vpcd's reader on this "
        "machine's pcscd, with the demo's virtual e-KTP on it)",
    )
    demo.add_argument(
        "--state-dir",
        metavar="DIR",
        help="keep the kiosk's state here, to restart a killed demo from it (default: a temporary folder)",
    )
    demo.add_argument(
        "--log-file", metavar="PATH", help="also write the log to this file (rotating, mode 0600)"
    )
    demo.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        help="log level on stderr and in --log-file (default: info)",
    )
    demo.set_defaults(handler=cmd_demo)

    add_diag_parser(commands)
    add_provision_parser(commands)
    add_technician_parser(commands)

    config = commands.add_parser("config", help="work with configuration files")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_commands.add_parser("check", help="validate a configuration file")
    check.add_argument("path", metavar="PATH", help="configuration file to check")
    check.set_defaults(handler=cmd_config_check)
    return parser


def add_config_argument(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    # In a sub-command, a default would overwrite the value given before the sub-command.
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS if sub else None,
        help="configuration file (default: $APM_KIOSK_CONFIG, else /etc/apm-kiosk/kiosk.toml)",
    )


def add_diag_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diag = commands.add_parser(
        "diag",
        help="check this kiosk: config, disk, devices, pcscd, CUPS, backend, clock",
        description="Check everything a technician needs and print a report; the exit code "
        "is 0 when all is well, 1 when something is faulty, 2 when the config is bad. Asks "
        "the running kiosk for its devices (never fights it for them); opens them itself "
        "only when the kiosk is not running.",
    )
    add_config_argument(diag)
    diag.add_argument("--json", action="store_true", help="print the report as one JSON document")
    diag.add_argument(
        "--bundle",
        metavar="FILE",
        help="also write a support bundle (a .tar.gz: report, logs, config with secrets masked)",
    )
    actions = diag.add_subparsers(dest="diag_command", metavar="ACTION")
    device = actions.add_parser("device", help="check one device")
    device.add_argument("role", help="the device's role, e.g. receipt_printer")
    test_print = actions.add_parser("test-print", help="print a test page on one printer")
    test_print.add_argument("role", help="receipt_printer or document_printer")
    card_read = actions.add_parser("card-read", help="wait for a card and show its masked UID")
    card_read.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="how long to wait (default 30)"
    )
    for action in (device, test_print, card_read):
        add_config_argument(action, sub=True)
        action.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="print as JSON"
        )
    diag.set_defaults(handler=cmd_diag)


def cmd_diag(args: argparse.Namespace) -> int:
    from kiosk.diagnostics.cli import run_diag

    return run_diag(args)


def add_provision_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    provision = commands.add_parser(
        "provision",
        help="enrol this kiosk with its backend from a provisioning file",
        description="Read a provisioning file (village code, backend URL, one-time enrolment "
        "token, the backend CA's SHA-256 fingerprint), enrol with the backend, write the "
        "config, and remove the token from the file.",
    )
    add_config_argument(provision)
    provision.add_argument(
        "--file", metavar="PATH", help="the provisioning file (default: look in the usual places)"
    )
    provision.add_argument(
        "--first-boot",
        action="store_true",
        help="as the first-boot service runs it: do nothing when already provisioned or "
        "when no provisioning file is found",
    )
    provision.set_defaults(handler=cmd_provision)


def cmd_provision(args: argparse.Namespace) -> int:
    from kiosk.provisioning.cli import run_provision

    return run_provision(args)


def add_technician_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    technician = commands.add_parser("technician", help="technician mode settings")
    actions = technician.add_subparsers(dest="technician_command", metavar="ACTION", required=True)
    hash_pin = actions.add_parser(
        "hash-pin", help="ask for a technician PIN and print its hash for [technician] pin_hash"
    )
    hash_pin.add_argument(
        "--stdin", action="store_true", help="read the PIN from standard input (for scripts)"
    )
    hash_pin.set_defaults(handler=cmd_technician_hash_pin)


def cmd_technician_hash_pin(args: argparse.Namespace) -> int:
    from kiosk.technician.cli import run_hash_pin

    return run_hash_pin(args)


def cmd_config_check(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_config

    try:
        settings = load_config(args.path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_CONFIG
    print(f"{args.path}: OK ({settings.summary()})")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, config_path, load_config

    try:
        settings = load_config(config_path(args.config))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_CONFIG
    if no_display_said():
        return EXIT_NO_DISPLAY
    from kiosk.logs import configure_logging

    configure_logging(settings)  # before the UI: its start-up is logged too
    from kiosk.ui.app import run_kiosk  # Qt is imported only here

    return run_kiosk(settings)


def cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    # Autoplay sets QT_QPA_PLATFORM=offscreen itself: it needs no screen.
    if not args.autoplay and no_display_said():
        return EXIT_NO_DISPLAY
    from kiosk.logs import configure_logging

    log_file = Path(args.log_file) if args.log_file else None
    configure_logging(None, log_file=log_file, level=args.log_level)
    from kiosk.ui.demo import run_demo  # Qt is imported only here

    return run_demo(args)


def no_display_said() -> bool:
    """Say why Qt could not show a window, before Qt aborts the process over it."""
    import os

    from kiosk.ui.display import display_problem  # no Qt: a socket and a dlopen or two

    problem = display_problem(os.environ)
    if problem is None:
        return False
    print(f"apm-kiosk: {problem}", file=sys.stderr)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # One clear line for the technician; the traceback only when asked for.
        if args.debug:
            traceback.print_exc()
        print(f"apm-kiosk: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
