"""A small IPP/1.1 client over the standard library's http.client (RFC 8010, RFC 8011).

Enough of IPP for the kiosk's printers behind CUPS: Print-Job (the document streamed
as it is), Get-Printer-Attributes, Get-Job-Attributes, Get-Jobs and Cancel-Job, sent to
`http://HOST:PORT/printers/QUEUE` (or to cupsd's Unix socket). No pycups: it would
need libcups headers to build and would tie the kiosk to one libcups version.

Every call has a timeout. Failures come in three kinds, so callers can map them:
- `IppConnectionError`: nobody answered (cupsd not running, wrong host, timed out);
- `IppError`: the server answered with an error status, named as IPP names it
  (e.g. "client-error-not-found" for a queue that does not exist);
- `IppProtocolError`: the answer was not IPP (a web server on the port, a truncated
  reply).

Attribute values decode to Python values: integers and enums to int, booleans to bool,
strings (keyword, name, text, uri, charset, language, mime type) to str, octetString
to bytes, dateTime to an aware datetime, resolution and rangeOfInteger to tuples,
collections to dicts, and out-of-band values (no-value, unknown) to None. Every
attribute holds a list of values (a 1setOf has several).
"""

from __future__ import annotations

import http.client
import socket
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import Any
from urllib.parse import quote

IPP_VERSION = (1, 1)
IPP_CONTENT_TYPE = "application/ipp"
DEFAULT_PORT = 631
DEFAULT_CHARSET = "utf-8"
DEFAULT_LANGUAGE = "en"
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # a Get-Jobs answer of thousands of jobs fits
STREAM_CHUNK_BYTES = 64 * 1024


class Operation(IntEnum):
    PRINT_JOB = 0x0002
    CANCEL_JOB = 0x0008
    GET_JOB_ATTRIBUTES = 0x0009
    GET_JOBS = 0x000A
    GET_PRINTER_ATTRIBUTES = 0x000B


class GroupTag(IntEnum):
    OPERATION = 0x01
    JOB = 0x02
    END = 0x03
    PRINTER = 0x04
    UNSUPPORTED = 0x05


class ValueTag(IntEnum):
    UNSUPPORTED = 0x10
    UNKNOWN = 0x12
    NO_VALUE = 0x13
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    OCTET_STRING = 0x30
    DATE_TIME = 0x31
    RESOLUTION = 0x32
    RANGE_OF_INTEGER = 0x33
    BEGIN_COLLECTION = 0x34
    TEXT_WITH_LANGUAGE = 0x35
    NAME_WITH_LANGUAGE = 0x36
    END_COLLECTION = 0x37
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    URI_SCHEME = 0x46
    CHARSET = 0x47
    LANGUAGE = 0x48
    MIME_MEDIA_TYPE = 0x49
    MEMBER_NAME = 0x4A
    EXTENSION = 0x7F


class JobState(IntEnum):
    PENDING = 3
    PENDING_HELD = 4
    PROCESSING = 5
    PROCESSING_STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9

    @property
    def finished(self) -> bool:
        return self >= JobState.CANCELED


class PrinterState(IntEnum):
    IDLE = 3
    PROCESSING = 4
    STOPPED = 5


STATUS_NAMES = {
    0x0000: "successful-ok",
    0x0001: "successful-ok-ignored-or-substituted-attributes",
    0x0002: "successful-ok-conflicting-attributes",
    0x0400: "client-error-bad-request",
    0x0401: "client-error-forbidden",
    0x0402: "client-error-not-authenticated",
    0x0403: "client-error-not-authorized",
    0x0404: "client-error-not-possible",
    0x0405: "client-error-timeout",
    0x0406: "client-error-not-found",
    0x0407: "client-error-gone",
    0x0408: "client-error-request-entity-too-large",
    0x0409: "client-error-request-value-too-long",
    0x040A: "client-error-document-format-not-supported",
    0x040B: "client-error-attributes-or-values-not-supported",
    0x040C: "client-error-uri-scheme-not-supported",
    0x040D: "client-error-charset-not-supported",
    0x040E: "client-error-conflicting-attributes",
    0x040F: "client-error-compression-not-supported",
    0x0410: "client-error-compression-error",
    0x0411: "client-error-document-format-error",
    0x0412: "client-error-document-access-error",
    0x0500: "server-error-internal-error",
    0x0501: "server-error-operation-not-supported",
    0x0502: "server-error-service-unavailable",
    0x0503: "server-error-version-not-supported",
    0x0504: "server-error-device-error",
    0x0505: "server-error-temporary-error",
    0x0506: "server-error-not-accepting-jobs",
    0x0507: "server-error-busy",
    0x0508: "server-error-job-canceled",
    0x0509: "server-error-multiple-document-jobs-not-supported",
}
NOT_FOUND = "client-error-not-found"
NOT_POSSIBLE = "client-error-not-possible"
NOT_ACCEPTING = "server-error-not-accepting-jobs"
# printer-state-message values that add nothing to "queue stopped"
BORING_MESSAGES = frozenset({"", "paused", "paused.", "stopped", "stopped.", "reason unknown"})
QUEUE_STATE_ATTRIBUTES = (
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
    "printer-make-and-model",
)

INTEGER_TAGS = frozenset({ValueTag.INTEGER, ValueTag.ENUM})
OUT_OF_BAND_TAGS = frozenset({ValueTag.UNSUPPORTED, ValueTag.UNKNOWN, ValueTag.NO_VALUE})
WITH_LANGUAGE_TAGS = frozenset({ValueTag.TEXT_WITH_LANGUAGE, ValueTag.NAME_WITH_LANGUAGE})
FIRST_STRING_TAG = 0x40  # 0x40..0x5F are character strings


def status_name(code: int) -> str:
    if code in STATUS_NAMES:
        return STATUS_NAMES[code]
    family = {0x00: "successful", 0x04: "client-error", 0x05: "server-error"}
    return f"{family.get(code >> 8, 'status')}-0x{code:04x}"


# --- errors ---------------------------------------------------------------------------


class IppConnectionError(Exception):
    """Nobody answered in time: the server is down, unreachable or too slow. The message
    is the reason only ("Connection refused"); callers say where."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class IppProtocolError(Exception):
    """Something answered, but not with an IPP response we can read."""


class IppError(Exception):
    """The server answered with an error status (or an HTTP error)."""

    def __init__(self, status_code: int, name: str, message: str = "") -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.status_code, self.name, self.message = status_code, name, message


# --- messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """One attribute to send: its name, its value tag and one or more values."""

    name: str
    tag: ValueTag
    values: tuple[Any, ...]

    @classmethod
    def of(cls, name: str, tag: ValueTag, *values: Any) -> Attribute:
        return cls(name, tag, values)


Attributes = dict[str, list[Any]]


@dataclass
class AttributeGroup:
    tag: int
    attributes: Attributes = field(default_factory=dict)


@dataclass
class Response:
    version: tuple[int, int]
    status_code: int
    request_id: int
    groups: list[AttributeGroup]

    @property
    def status_name(self) -> str:
        return status_name(self.status_code)

    @property
    def ok(self) -> bool:
        return self.status_code < 0x0100

    @property
    def operation(self) -> Attributes:
        return self._first(GroupTag.OPERATION)

    @property
    def printer(self) -> Attributes:
        return self._first(GroupTag.PRINTER)

    @property
    def job(self) -> Attributes:
        return self._first(GroupTag.JOB)

    @property
    def jobs(self) -> list[Attributes]:
        return [group.attributes for group in self.groups if group.tag == GroupTag.JOB]

    def _first(self, tag: GroupTag) -> Attributes:
        for group in self.groups:
            if group.tag == tag:
                return group.attributes
        return {}


def first(attributes: Attributes, name: str, default: Any = None) -> Any:
    """The first value of `name`, or `default` when it is absent or out-of-band."""
    values = attributes.get(name) or [None]
    return default if values[0] is None else values[0]


# --- encoding -------------------------------------------------------------------------


def encode_request(
    operation: Operation, request_id: int, groups: Sequence[tuple[GroupTag, Sequence[Attribute]]]
) -> bytes:
    out = bytearray(struct.pack(">BBHI", *IPP_VERSION, operation, request_id))
    for tag, attributes in groups:
        out.append(tag)
        for attribute in attributes:
            out += _encode_attribute(attribute)
    out.append(GroupTag.END)
    return bytes(out)


def _encode_attribute(attribute: Attribute) -> bytes:
    if not attribute.values:
        raise ValueError(f"attribute {attribute.name} has no value")
    out = bytearray()
    for index, value in enumerate(attribute.values):
        name = attribute.name.encode("ascii") if index == 0 else b""
        data = _encode_value(attribute.tag, value)
        out += struct.pack(">BH", attribute.tag, len(name)) + name
        out += struct.pack(">H", len(data)) + data
    return bytes(out)


def _encode_value(tag: ValueTag, value: Any) -> bytes:
    if tag in INTEGER_TAGS:
        return struct.pack(">i", int(value))
    if tag is ValueTag.BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag in OUT_OF_BAND_TAGS:
        return b""
    if tag >= FIRST_STRING_TAG:
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if len(data) > 0xFFFF:
            raise ValueError(f"value too long for IPP: {len(data)} bytes")
        return data
    if tag is ValueTag.OCTET_STRING:
        return bytes(value)
    raise ValueError(f"cannot encode IPP value tag 0x{tag:02x}")


# --- decoding -------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def take(self, count: int) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise IppProtocolError("truncated IPP response")
        chunk, self.position = self.data[self.position : end], end
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def short(self) -> int:
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def peek(self) -> int:
        if self.position >= len(self.data):
            raise IppProtocolError("IPP response ends without end-of-attributes")
        return self.data[self.position]


def decode_response(data: bytes) -> Response:
    reader = _Reader(data)
    major, minor, status_code, request_id = struct.unpack(">BBHI", reader.take(8))
    if major not in (1, 2):
        raise IppProtocolError(f"not an IPP response (version {major}.{minor})")
    groups: list[AttributeGroup] = []
    while True:
        tag = reader.byte()
        if tag == GroupTag.END:
            break
        if tag >= 0x10:
            raise IppProtocolError(f"value tag 0x{tag:02x} outside an attribute group")
        group = AttributeGroup(tag)
        groups.append(group)
        _decode_group(reader, group.attributes)
    return Response((major, minor), status_code, request_id, groups)


def _decode_group(reader: _Reader, attributes: Attributes) -> None:
    current: list[Any] | None = None
    while reader.peek() >= 0x10:  # a delimiter tag (< 0x10) starts the next group
        tag = reader.byte()
        name = reader.take(reader.short()).decode("utf-8", "replace")
        value = _decode_value(reader, tag)
        if name:
            current = attributes.setdefault(name, [])
        elif current is None:
            raise IppProtocolError("additional value without an attribute")
        current.append(value)


def _decode_value(reader: _Reader, tag: int) -> Any:
    if tag == ValueTag.EXTENSION:
        raw = reader.take(reader.short())
        return raw[4:]  # the first four bytes are the real tag; we do not need it
    raw = reader.take(reader.short())
    if tag == ValueTag.BEGIN_COLLECTION:
        return _decode_collection(reader)
    return _value_from_bytes(tag, raw)


def _value_from_bytes(tag: int, raw: bytes) -> Any:
    if tag in OUT_OF_BAND_TAGS:
        return None
    if tag in INTEGER_TAGS and len(raw) == 4:
        return struct.unpack(">i", raw)[0]
    if tag == ValueTag.BOOLEAN and len(raw) == 1:
        return raw != b"\x00"
    if tag in WITH_LANGUAGE_TAGS:
        return _text_with_language(raw)
    if tag >= FIRST_STRING_TAG:
        return raw.decode("utf-8", "replace")
    if tag == ValueTag.DATE_TIME and len(raw) == 11:
        return _date_time(raw)
    if tag == ValueTag.RESOLUTION and len(raw) == 9:
        return struct.unpack(">iib", raw)
    if tag == ValueTag.RANGE_OF_INTEGER and len(raw) == 8:
        return struct.unpack(">ii", raw)
    return raw  # octetString, or a value we do not interpret


def _decode_collection(reader: _Reader) -> dict[str, list[Any]]:
    members: dict[str, list[Any]] = {}
    current: list[Any] | None = None
    while True:
        tag = reader.byte()
        reader.take(reader.short())  # member values and the end carry no name
        if tag == ValueTag.END_COLLECTION:
            reader.take(reader.short())
            return members
        if tag == ValueTag.MEMBER_NAME:
            member = reader.take(reader.short()).decode("utf-8", "replace")
            current = members.setdefault(member, [])
            continue
        if current is None:
            raise IppProtocolError("collection value without a member name")
        current.append(_decode_value(reader, tag))


def _text_with_language(raw: bytes) -> str:
    language_length = struct.unpack(">H", raw[:2])[0]
    start = 2 + language_length
    text_length = struct.unpack(">H", raw[start : start + 2])[0]
    return raw[start + 2 : start + 2 + text_length].decode("utf-8", "replace")


def _date_time(raw: bytes) -> datetime | bytes:
    year, month, day, hour, minute, second, deci, sign, hours, minutes = struct.unpack(
        ">HBBBBBBcBB", raw
    )
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == b"-" else 1)
    try:
        return datetime(
            year, month, day, hour, minute, second, deci * 100_000, tzinfo=timezone(offset)
        )
    except ValueError:  # a printer with its clock unset sends zeros
        return raw


# --- transport ------------------------------------------------------------------------


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over cupsd's Unix socket (e.g. /run/cups/cups.sock)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass(frozen=True)
class Server:
    """Where cupsd (or any IPP server) listens: host and port, or a Unix socket path."""

    host: str
    port: int = DEFAULT_PORT
    socket_path: str | None = None

    @classmethod
    def parse(cls, text: str) -> Server:
        """ "localhost", "printhost:631", "[::1]:631" or "/run/cups/cups.sock"."""
        text = text.strip()
        if text.startswith("/"):
            return cls("localhost", DEFAULT_PORT, text)
        host, port = text, DEFAULT_PORT
        if text.startswith("["):  # an IPv6 literal
            closing = text.find("]")
            if closing < 0:
                raise ValueError(f"bad server address {text!r}")
            host, rest = text[1:closing], text[closing + 1 :]
            if rest:
                port = _port(rest.removeprefix(":"), text)
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = _port(port_text, text)
        if not host:
            raise ValueError(f"bad server address {text!r}")
        return cls(host, port)

    def describe(self) -> str:
        if self.socket_path is not None:
            return self.socket_path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def uri(self, resource: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ipp://{host}:{self.port}{resource}"

    def connection(self, timeout_s: float) -> http.client.HTTPConnection:
        if self.socket_path is not None:
            return _UnixHTTPConnection(self.socket_path, timeout_s)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout_s)


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port in server address {whole!r}")
    return int(text)


# --- the client -----------------------------------------------------------------------


class IppClient:
    """Talks to one IPP server. Each call opens its own connection, so one client may
    be used from several threads; every call is bounded by `timeout_s`."""

    def __init__(self, server: Server | str, *, timeout_s: float, user_name: str) -> None:
        self.server = Server.parse(server) if isinstance(server, str) else server
        self.timeout_s = timeout_s
        self.user_name = user_name
        self._request_ids = iter(range(1, 2**31))

    def queue(self, name: str) -> IppPrinter:
        """The CUPS queue `name` (at /printers/NAME)."""
        return IppPrinter(self, f"/printers/{quote(name, safe='')}", name)

    def printer_at(self, resource: str) -> IppPrinter:
        """A printer at another resource path, e.g. an IPP Everywhere printer's /ipp/print."""
        return IppPrinter(self, resource, resource)

    def request(
        self,
        resource: str,
        operation: Operation,
        attributes: Sequence[Attribute],
        *,
        job_attributes: Sequence[Attribute] = (),
        document: bytes | None = None,
    ) -> Response:
        """Send one request; return the response, or raise (see the module doc)."""
        operation_group = [
            Attribute.of("attributes-charset", ValueTag.CHARSET, DEFAULT_CHARSET),
            Attribute.of("attributes-natural-language", ValueTag.LANGUAGE, DEFAULT_LANGUAGE),
            Attribute.of("printer-uri", ValueTag.URI, self.server.uri(resource)),
            Attribute.of("requesting-user-name", ValueTag.NAME, self.user_name),
            *attributes,
        ]
        groups: list[tuple[GroupTag, Sequence[Attribute]]] = [(GroupTag.OPERATION, operation_group)]
        if job_attributes:
            groups.append((GroupTag.JOB, job_attributes))
        head = encode_request(operation, next(self._request_ids), groups)
        response = decode_response(self._post(resource, head, document or b""))
        if not response.ok:
            message = first(response.operation, "status-message", "")
            raise IppError(response.status_code, response.status_name, message)
        return response

    def _post(self, resource: str, head: bytes, document: bytes) -> bytes:
        connection = self.server.connection(self.timeout_s)
        try:
            connection.putrequest("POST", resource)
            connection.putheader("Content-Type", IPP_CONTENT_TYPE)
            connection.putheader("Content-Length", str(len(head) + len(document)))
            connection.endheaders()
            for chunk in _chunks(head, document):
                connection.send(chunk)
            answer = connection.getresponse()
            body = answer.read(MAX_RESPONSE_BYTES + 1)
        except TimeoutError:
            raise IppConnectionError(
                f"no answer within {self.timeout_s:g} s", timed_out=True
            ) from None
        except (OSError, http.client.HTTPException) as error:
            raise IppConnectionError(_reason(error)) from None
        finally:
            connection.close()
        if answer.status != http.client.OK:
            raise IppError(answer.status, f"http-{answer.status}", answer.reason)
        if len(body) > MAX_RESPONSE_BYTES:
            raise IppProtocolError(f"response larger than {MAX_RESPONSE_BYTES} bytes")
        return body


def _chunks(head: bytes, document: bytes) -> Iterator[bytes]:
    """The request, then the document in slices: a large PDF is never copied whole."""
    yield head
    view = memoryview(document)
    for start in range(0, len(view), STREAM_CHUNK_BYTES):
        yield bytes(view[start : start + STREAM_CHUNK_BYTES])


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


@dataclass(frozen=True)
class IppPrinter:
    """The operations on one printer (a CUPS queue, or an IPP printer's resource)."""

    client: IppClient
    resource: str
    name: str

    def print_job(self, document: bytes, *, document_format: str, job_name: str) -> Attributes:
        """Print-Job: the document goes unchanged; returns the job's attributes (job-id)."""
        response = self.client.request(
            self.resource,
            Operation.PRINT_JOB,
            [
                Attribute.of("job-name", ValueTag.NAME, job_name),
                Attribute.of("document-format", ValueTag.MIME_MEDIA_TYPE, document_format),
            ],
            document=document,
        )
        if first(response.job, "job-id") is None:
            raise IppProtocolError("Print-Job answered without a job-id")
        return response.job

    def attributes(self, requested: Iterable[str] = ()) -> Attributes:
        """Get-Printer-Attributes (all of them when `requested` is empty)."""
        response = self.client.request(
            self.resource, Operation.GET_PRINTER_ATTRIBUTES, _requested(requested)
        )
        return response.printer

    def job(self, job_id: int, requested: Iterable[str] = ()) -> Attributes:
        """Get-Job-Attributes of job `job_id` on this printer."""
        response = self.client.request(
            self.resource,
            Operation.GET_JOB_ATTRIBUTES,
            [Attribute.of("job-id", ValueTag.INTEGER, job_id), *_requested(requested)],
        )
        return response.job

    def jobs(
        self, requested: Iterable[str] = (), *, which: str = "all", my_jobs: bool = False
    ) -> list[Attributes]:
        """Get-Jobs: `which` is "all", "completed" or "not-completed"."""
        response = self.client.request(
            self.resource,
            Operation.GET_JOBS,
            [
                Attribute.of("which-jobs", ValueTag.KEYWORD, which),
                Attribute.of("my-jobs", ValueTag.BOOLEAN, my_jobs),
                *_requested(requested),
            ],
        )
        return response.jobs

    def cancel_job(self, job_id: int) -> None:
        self.client.request(
            self.resource,
            Operation.CANCEL_JOB,
            [Attribute.of("job-id", ValueTag.INTEGER, job_id)],
        )


def queue_refusal(queue: str, attributes: Attributes) -> str | None:
    """Why a CUPS queue with these attributes will not print now, with the command that
    fixes it; None when it will. A queue stops by itself after a backend failure."""
    if first(attributes, "printer-state") == PrinterState.STOPPED:
        message = first(attributes, "printer-state-message", "")
        cause = f": {message}" if message and message.lower() not in BORING_MESSAGES else ""
        return f"queue stopped (cupsenable {queue}){cause}"
    if first(attributes, "printer-is-accepting-jobs", True) is False:
        return f"queue rejects jobs (cupsaccept {queue})"
    return None


def _requested(names: Iterable[str]) -> list[Attribute]:
    wanted = tuple(names)
    if not wanted:
        return []
    return [Attribute("requested-attributes", ValueTag.KEYWORD, wanted)]
