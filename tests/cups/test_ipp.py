"""The IPP client against a real cupsd, and against servers that are not IPP at all:
what a technician's wrong `server` setting or a hung service looks like."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from drivers.ipp import (
    IppClient,
    IppConnectionError,
    IppError,
    IppProtocolError,
    PrinterState,
    Server,
    first,
)
from printer.cups_document import CupsDocumentPrinterSettings

from .conftest import PdfQueue
from .cupsd import PrivateCups, free_port


class _Answers(BaseHTTPRequestHandler):
    """Answers every POST with the server's `status` and `body`."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def client_of(server: str, timeout_s: float = 5) -> IppClient:
    return IppClient(server, timeout_s=timeout_s, user_name="apm-kiosk")


def test_printer_attributes_of_every_kind_decode(cups: PrivateCups, pdf_queue: PdfQueue):
    attributes = client_of(cups.server).queue(pdf_queue.name).attributes()

    assert first(attributes, "printer-state") == PrinterState.IDLE  # enum
    assert first(attributes, "printer-is-accepting-jobs") is True  # boolean
    assert first(attributes, "printer-name") == pdf_queue.name  # name
    assert "application/pdf" in attributes["document-format-supported"]  # 1setOf mimeMediaType
    assert isinstance(first(attributes, "printer-current-time"), datetime)  # dateTime
    assert first(attributes, "printer-uri-supported").startswith("ipp://")  # uri
    assert first(attributes, "copies-supported") == (1, 9999)  # rangeOfInteger
    assert (300, 300, 3) in attributes["printer-resolution-supported"]  # resolution (dpi)

    media = client_of(cups.server).queue(pdf_queue.name).attributes(("media-col-default",))
    assert list(media) == ["media-col-default"]  # only what was asked for
    size = first(first(media, "media-col-default"), "media-size")  # a collection in one
    assert (first(size, "x-dimension"), first(size, "y-dimension")) == (20990, 29704)  # A4


def test_cupsd_is_reached_through_its_unix_socket_too(cups: PrivateCups, pdf_queue: PdfQueue):
    through_socket = client_of(str(cups.socket_path)).queue(pdf_queue.name)
    assert first(through_socket.attributes(("printer-name",)), "printer-name") == pdf_queue.name


def test_a_missing_queue_is_named_as_ipp_names_it(cups: PrivateCups):
    with pytest.raises(IppError) as missing:
        client_of(cups.server).queue("no-such-queue").attributes()
    assert missing.value.name == "client-error-not-found"


def test_nothing_listening_is_a_connection_error(cups: PrivateCups):
    with pytest.raises(IppConnectionError) as refused:
        client_of(f"127.0.0.1:{free_port()}").queue("a4").attributes()
    assert "refused" in str(refused.value).lower() and not refused.value.timed_out


def test_a_server_that_never_answers_times_out():
    hung = socket.create_server(("127.0.0.1", 0))  # accepts, then says nothing
    try:
        started = time.monotonic()
        with pytest.raises(IppConnectionError) as silent:
            client_of(f"127.0.0.1:{hung.getsockname()[1]}", timeout_s=0.5).queue("a4").attributes()
        assert silent.value.timed_out
        assert time.monotonic() - started < 3
    finally:
        hung.close()


def test_a_web_server_that_is_not_cups(web_server: ThreadingHTTPServer):
    address = f"127.0.0.1:{web_server.server_address[1]}"
    web_server.answer = (404, b"<html>Not Found</html>")  # type: ignore[attr-defined]
    with pytest.raises(IppError) as not_found:
        client_of(address).queue("a4").attributes()
    assert not_found.value.name == "http-404"

    web_server.answer = (200, b"<html>Welcome to nginx</html>")  # type: ignore[attr-defined]
    with pytest.raises(IppProtocolError):
        client_of(address).queue("a4").attributes()

    truncated = bytes([1, 1, 0, 0, 0, 0, 0, 1, 1, 0x47, 0, 18]) + b"attributes-charset"
    web_server.answer = (200, truncated)  # type: ignore[attr-defined]
    with pytest.raises(IppProtocolError, match="truncated"):
        client_of(address).queue("a4").attributes()


def test_server_addresses_parse_or_are_refused_in_the_config():
    assert Server.parse("localhost") == Server("localhost", 631)
    assert Server.parse("printhost:8631") == Server("printhost", 8631)
    assert Server.parse("[::1]:631") == Server("::1", 631)
    assert Server.parse("/run/cups/cups.sock").socket_path == "/run/cups/cups.sock"
    with pytest.raises(ValidationError, match="bad port"):
        CupsDocumentPrinterSettings.model_validate(
            {"type": "cups", "queue": "A4", "server": "localhost:99999"}
        )
    with pytest.raises(ValidationError):
        CupsDocumentPrinterSettings.model_validate({"type": "cups", "queue": "a/b"})
