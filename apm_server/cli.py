"""`apm-server`: run the reference backend, and act as the village office from a shell."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from apm_server import __version__


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.command == "serve" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        if getattr(args, "debug", False):
            raise
        print(f"apm-server: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apm-server", description=__doc__)
    parser.add_argument("--version", action="version", version=f"apm-server {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    default_state = os.environ.get("APM_SERVER_STATE_DIR", "apm-server-state")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--auto-sign-delay",
        type=float,
        default=None,
        metavar="S",
        help="sign each request S seconds after it is submitted (demo)",
    )
    serve.add_argument("--public-url", default=None, help="base URL printed in letters' QR codes")
    serve.set_defaults(run=_serve)

    sign = sub.add_parser("sign", help="sign a request as the village head")
    sign.add_argument("request_id")
    sign.set_defaults(run=_sign)

    reject = sub.add_parser("reject", help="reject a request with a reason")
    reject.add_argument("request_id")
    reject.add_argument("--reason", required=True)
    reject.set_defaults(run=_reject)

    listing = sub.add_parser("list", help="list requests (NIK masked)")
    listing.set_defaults(run=_list)

    for command in (serve, sign, reject, listing):
        command.add_argument("--state-dir", type=Path, default=Path(default_state))
    return parser


def _serve(args: argparse.Namespace) -> int:
    from apm_server.app import build_server

    httpd, office, signer = build_server(
        args.state_dir,
        args.host,
        args.port,
        auto_sign_delay_s=args.auto_sign_delay,
        demo=True,
        public_url=args.public_url,
    )
    if signer is not None:
        signer.start()
    print(
        f"apm-server {__version__}: listening on http://{args.host}:{httpd.server_port} "
        f"(state in {args.state_dir}, demo CA {office.ca.ca_cert})",
        flush=True,
    )
    office.start_signing()  # the back-office page's signatures
    try:
        httpd.serve_forever()
    finally:
        office.stop_signing()
        httpd.server_close()
        office.store.close()
    return 0


def _office(args: argparse.Namespace):
    from apm_server.office import DB_NAME, Office

    if not (args.state_dir / DB_NAME).exists():
        raise RuntimeError(f"no server state in {args.state_dir} (start 'apm-server serve' first)")
    return Office(args.state_dir)


def _sign(args: argparse.Namespace) -> int:
    from apm_server.office import OfficeError

    try:
        row = _office(args).sign(args.request_id)
    except OfficeError as exc:
        print(f"apm-server: {exc}", file=sys.stderr)
        return 1
    print(f"signed {row.tracking_code}: {row.letter_number}")
    return 0


def _reject(args: argparse.Namespace) -> int:
    from apm_server.office import OfficeError

    try:
        row = _office(args).reject(args.request_id, args.reason)
    except OfficeError as exc:
        print(f"apm-server: {exc}", file=sys.stderr)
        return 1
    print(f"rejected {row.tracking_code}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from apm_server.office import describe

    for row in _office(args).store.requests():
        print(describe(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
