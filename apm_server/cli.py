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
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS, with a server certificate from the demo CA naming --host, "
        "localhost, 127.0.0.1 and --public-url's host (kiosks fetch the CA from "
        "/api/v1/ca-certificate and check it against its printed SHA-256 fingerprint)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (a district on PostgreSQL: about one per core)",
    )
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
        command.add_argument(
            "--database-url",
            default=os.environ.get("APM_SERVER_DATABASE_URL"),
            metavar="URL",
            help="SQLAlchemy URL of the database, e.g. postgresql+psycopg://apm@db/apm for a "
            "district (default: SQLite in the state directory; env APM_SERVER_DATABASE_URL)",
        )
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from apm_server.app import ServerSettings, build
    from apm_server.serving import bound_socket, uvicorn_config

    settings = ServerSettings(
        args.state_dir,
        auto_sign_delay_s=args.auto_sign_delay,
        public_url=args.public_url,
        database_url=args.database_url,
    )
    scheme = "https" if args.tls else "http"
    tls = _tls_options(args) if args.tls else {}
    url = f"{scheme}://{args.host}:{args.port}"
    if args.workers > 1:
        # Each worker builds its own application from the environment (uvicorn imports
        # the factory in every worker process).
        os.environ.update(settings.environment(), APM_SERVER_URL=url)
        print(f"apm-server {__version__}: {args.workers} workers on {url}", flush=True)
        config = uvicorn_config(
            "apm_server.app:worker_app",
            args.host,
            args.port,
            version=__version__,
            factory=True,
            workers=args.workers,
            **tls,
        )
        # What uvicorn.run does for workers: one listening socket, shared by the
        # processes a supervisor starts (and restarts if one dies).
        from uvicorn.supervisors import Multiprocess

        shared = config.bind_socket()
        Multiprocess(config, sockets=[shared]).run()
        return 0
    listening = bound_socket(args.host, args.port)
    url = f"{scheme}://{args.host}:{listening.getsockname()[1]}"
    app, office, signer = build(settings, url)
    if signer is not None:
        signer.start()
    where = _without_password(args.database_url) if args.database_url else args.state_dir
    print(
        f"apm-server {__version__}: listening on {url} (data in {where}, demo CA "
        f"{office.ca.ca_cert})",
        flush=True,
    )
    office.start_signing()  # the back-office page's signatures
    try:
        config = uvicorn_config(app, args.host, args.port, version=__version__, **tls)
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        office.stop_signing()
        office.store.close()
    return 0


def _tls_options(args: argparse.Namespace) -> dict[str, str]:
    """The server certificate (made by the demo CA if need be), and the line a person
    setting up kiosks copies into their provisioning files."""
    from apm_server import demo_data
    from apm_server.app import tls_options
    from apm_server.signing import ensure_demo_ca
    from apm_server.tls import fingerprint

    # The CA the office uses (Office.ca), made here if this is the server's first start.
    village = demo_data.VILLAGE
    demo_ca = ensure_demo_ca(args.state_dir / "demo-ca", village.head_name, village.name)
    options = tls_options(demo_ca, args.host, args.public_url)
    ca = demo_ca.ca_cert
    print(f"apm-server: HTTPS; kiosks pin the CA {ca} with", flush=True)
    print(f'ca_fingerprint = "{fingerprint(ca)}"', flush=True)
    return options


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _office(args: argparse.Namespace):
    from apm_server.office import DB_NAME, Office

    if not args.database_url and not (args.state_dir / DB_NAME).exists():
        raise RuntimeError(f"no server state in {args.state_dir} (start 'apm-server serve' first)")
    return Office(args.state_dir, database_url=args.database_url)


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
