"""A receipt printer behind a CUPS raw queue (`lpadmin -p NAME -v ... -m raw`).

    transport = { type = "cups", queue = "receipt", server = "localhost" }

CUPS takes jobs, not a byte stream, so writes are buffered and each receipt goes as one
job (document-format application/vnd.cups-raw, passed to the printer untouched): a job
is submitted when the stream reaches a cut (GS V, ESC i, ESC m), and what is left on
close. The stream is read with the ESC/POS tokenizer, so a cut's bytes inside a QR code
or an image do not count, and a receipt written in several pieces, with status requests
between them, still goes as one job.

CUPS cannot pass a status request (DLE EOT n) through to the printer nor bring back its
answer. Such requests are never printed; the read that waits for the answer checks the
queue instead: a missing queue or cupsd is "no-device", a stopped or rejecting queue a
communication error naming the fix, and a healthy queue a timeout, as for a printer
that does not answer status requests (its paper and cover are then "unknown").
"""

from __future__ import annotations

from drivers.ipp import (
    NOT_ACCEPTING,
    NOT_FOUND,
    QUEUE_STATE_ATTRIBUTES,
    Attributes,
    IppClient,
    IppConnectionError,
    IppError,
    IppProtocolError,
    queue_refusal,
)
from drivers.sim.escpos_stream import EscposTokenizer
from drivers.transports.base import Transport, TransportError, TransportErrorKind
from drivers.transports.settings import CupsRawTransportSettings

RAW_FORMAT = "application/vnd.cups-raw"
JOB_NAME = "apm-kiosk receipt"
USER_NAME = "apm-kiosk"


class CupsRawTransport(Transport):
    settings_model = CupsRawTransportSettings

    def __init__(self, settings: CupsRawTransportSettings) -> None:
        super().__init__(settings)
        self._queue_name = settings.queue
        self._client = IppClient(settings.server, timeout_s=settings.timeout_s, user_name=USER_NAME)
        self._queue = self._client.queue(settings.queue)
        self._open = False
        self._tokenizer = EscposTokenizer()
        self._receipt = bytearray()  # printable bytes of the receipt being written
        self._status_asked = False  # a status request waits for its (impossible) answer
        self.jobs_submitted = 0

    @property
    def is_open(self) -> bool:
        return self._open

    def describe(self) -> str:
        return f"cups queue {self._queue_name} at {self._client.server.describe()}"

    def open(self) -> None:
        if self._open:
            return
        refusal = self._queue_problem()
        if refusal is not None and refusal.kind is TransportErrorKind.NO_DEVICE:
            raise refusal
        self._open = True  # a stopped queue is there: status and jobs will say so

    def close(self) -> None:
        """Submit what is left (a receipt without a cut), then forget the queue."""
        if not self._open:
            return
        try:
            self._submit(bytes(self._receipt) + self._tokenizer.pending)
        except TransportError:
            pass  # close never raises; the receipt is lost with the link
        finally:
            self._reset()
            self._open = False

    def write(self, data: bytes) -> None:
        self._require_open()
        for token in self._tokenizer.feed(bytes(data)):
            if token.is_realtime:  # never printed: read() answers it
                self._status_asked = True
                continue
            self._receipt += token.raw
            if token.is_cut:
                self._flush()

    def read(self, n: int, timeout_s: float) -> bytes:
        """No answer ever comes through CUPS; after a status request, say why (see above)."""
        self._require_open()
        asked, self._status_asked = self._status_asked, False
        if asked:
            problem = self._queue_problem()
            if problem is not None:
                if problem.kind is TransportErrorKind.NO_DEVICE:
                    self._close_quietly()
                raise problem
        raise self._error(
            TransportErrorKind.TIMEOUT, "CUPS raw queues cannot pass status requests through"
        )

    def discard_input(self) -> None:
        """Nothing ever arrives."""

    # --- internals -------------------------------------------------------------------------

    def _flush(self) -> None:
        receipt, self._receipt = bytes(self._receipt), bytearray()
        try:
            self._submit(receipt)
        except TransportError:
            self._close_quietly()  # as every transport after a failed write
            raise

    def _submit(self, receipt: bytes) -> None:
        if not receipt:
            return
        try:
            self._queue.print_job(receipt, document_format=RAW_FORMAT, job_name=JOB_NAME)
        except IppConnectionError as error:
            raise self._error(
                TransportErrorKind.NO_DEVICE, f"CUPS not reachable: {error}"
            ) from None
        except IppError as error:
            raise self._ipp_error(error) from None
        except IppProtocolError as error:
            raise self._error(TransportErrorKind.COMMUNICATION, str(error)) from None
        self.jobs_submitted += 1

    def _queue_problem(self) -> TransportError | None:
        """Why this queue cannot print now, as a TransportError; None when it can."""
        try:
            attributes: Attributes = self._queue.attributes(QUEUE_STATE_ATTRIBUTES)
        except IppConnectionError as error:
            return self._error(TransportErrorKind.NO_DEVICE, f"CUPS not reachable: {error}")
        except IppError as error:
            return self._ipp_error(error)
        except IppProtocolError as error:
            return self._error(TransportErrorKind.COMMUNICATION, str(error))
        refusal = queue_refusal(self._queue_name, attributes)
        if refusal is not None:
            return self._error(TransportErrorKind.COMMUNICATION, refusal)
        return None

    def _ipp_error(self, error: IppError) -> TransportError:
        if error.name == NOT_FOUND:
            return self._error(TransportErrorKind.NO_DEVICE, f"no CUPS queue {self._queue_name}")
        if error.name == NOT_ACCEPTING:
            return self._error(
                TransportErrorKind.COMMUNICATION,
                f"queue rejects jobs (cupsaccept {self._queue_name})",
            )
        return self._error(TransportErrorKind.COMMUNICATION, f"CUPS: {error}")

    def _require_open(self) -> None:
        if not self._open:
            raise self._error(TransportErrorKind.NO_DEVICE, "not connected")

    def _close_quietly(self) -> None:
        """After a failure: drop the half-written receipt (the driver sends it again)."""
        self._reset()
        self._open = False

    def _reset(self) -> None:
        self._tokenizer = EscposTokenizer()
        self._receipt = bytearray()
        self._status_asked = False

    def _error(self, kind: TransportErrorKind, reason: str) -> TransportError:
        return TransportError(kind, f"{self.describe()}: {reason}")
