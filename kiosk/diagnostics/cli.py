"""`apm-kiosk diag`: the whole report, or one action (device, test-print, card-read).

When the kiosk runs, device work goes through it (its local socket); otherwise diag opens
the devices itself. The exit code: 0 all well (warnings allowed), 1 faulty, 2 bad config.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.diagnostics import standalone, system
from kiosk.diagnostics.link import KioskNotAnswering, ask_running_kiosk, checks_of
from kiosk.diagnostics.report import (
    EXIT_ALL_WELL,
    EXIT_FAULTY,
    Check,
    Level,
    Report,
    fault,
    render_text,
)

if TYPE_CHECKING:
    from kiosk.config import KioskSettings

REPORT_WAIT_S = 120.0  # the running kiosk checks every device and the backend
ACTION_MARGIN_S = 30.0


def run_diag(args: argparse.Namespace) -> int:
    from kiosk.config import config_path

    path = config_path(args.config)
    config, settings = system.config_check(path)
    if args.diag_command is None:
        report = whole_report(config, settings)
        if args.bundle:
            from kiosk.diagnostics.bundle import write_bundle

            members = write_bundle(Path(args.bundle), report, settings)
            print(f"support bundle: {args.bundle} ({len(members)} files)", file=sys.stderr)
        return emit(report, as_json=args.json)
    if settings is None:
        return emit(Report.of([config, *system.clock_checks()], config_path=str(path)), args.json)
    checks, source = action(args, settings)
    report = Report.of(checks, config_path=str(path), devices_from=source)
    code = emit(report, as_json=args.json)
    # An action passes only when it did what was asked (no card within the time: failed).
    return code if all(c.level is Level.OK for c in checks) else max(code, EXIT_FAULTY)


def whole_report(config: Check, settings: KioskSettings | None) -> Report:
    path = config.details.get("path", "")
    if settings is None:  # nothing else can be read from a config that does not load
        return Report.of([config, *system.clock_checks()], config_path=path)
    try:
        answer = ask_running_kiosk(settings.state_dir, {"op": "report"}, REPORT_WAIT_S)
    except KioskNotAnswering as error:
        return Report.of(
            [config, fault("kiosk", "app", f"running, but {error}"), *system.clock_checks()],
            config_path=path,
        )
    if answer is not None and "report" in answer:
        running = answer["report"]
        checks = [config, *(Check.from_dict(c) for c in running["checks"])]
        return Report.of(checks, config_path=path, devices_from="running kiosk")
    return stopped_kiosk_report(config, settings)


def stopped_kiosk_report(config: Check, settings: KioskSettings) -> Report:
    path = str(config.details.get("path", ""))
    try:
        with standalone.kiosk_stopped(settings.state_dir):
            checks = [config]
            checks.append(
                Check("kiosk", "app", Level.OK, "not running: diag opened the devices itself")
            )
            checks += standalone.system_checks(settings)
            checks += standalone.device_report(settings)
    except standalone.KioskRunning as running:
        note = fault("kiosk", "app", f"{running}, but it has no diagnostics socket")
        return Report.of([config, note, *system.clock_checks()], config_path=path)
    checks += standalone.backend_report(settings)
    checks += system.clock_checks()
    return Report.of(checks, config_path=path, devices_from="opened by diag")


def action(args: argparse.Namespace, settings: KioskSettings) -> tuple[list[Check], str]:
    request = action_request(args)
    wait_s = float(request.get("timeout_s", 0)) + ACTION_MARGIN_S + 120.0
    try:
        answer = ask_running_kiosk(settings.state_dir, request, wait_s)
    except KioskNotAnswering as error:
        return [fault("kiosk", "app", f"running, but {error}")], "running kiosk"
    if answer is not None:
        if "error" in answer:
            return [fault("kiosk", "app", str(answer["error"]))], "running kiosk"
        return checks_of(answer), "running kiosk"
    try:
        with standalone.kiosk_stopped(settings.state_dir):
            return standalone_action(args, settings), "opened by diag"
    except standalone.KioskRunning as running:
        return [fault("kiosk", "app", f"{running}, but it has no diagnostics socket")], ""


def action_request(args: argparse.Namespace) -> dict[str, Any]:
    if args.diag_command == "device":
        return {"op": "device", "role": args.role}
    if args.diag_command == "test-print":
        return {"op": "test_print", "role": args.role}
    return {"op": "card_read", "timeout_s": args.timeout}


def standalone_action(args: argparse.Namespace, settings: KioskSettings) -> list[Check]:
    if args.diag_command == "device":
        return standalone.device_report(settings, [args.role])
    if args.diag_command == "test-print":
        if args.role not in ("receipt_printer", "document_printer"):
            return [fault("device", args.role, f"{args.role!r} is not a printer")]
        return standalone.test_print(settings, args.role)
    print(f"tap a card on the reader within {args.timeout:.0f} s ...", file=sys.stderr)
    return standalone.card_read(settings, args.timeout)


def emit(report: Report, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    return report.exit_code if report.checks else EXIT_ALL_WELL
