"""Is this the letter the village head signed? SHA-256 and PAdES checks (pyHanko).

The kiosk runs `check_letter` before anything goes to paper; the reference server and the
tests use `validate_signed_pdf` too. Neither function raises: a broken, truncated or
hostile PDF is a failed check with a reason a technician can read, never a crash.

pyHanko costs about half a second to import, so it is imported inside the functions, on
the worker thread that first validates a letter, never at kiosk start-up.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO


class LetterProblem(StrEnum):
    """Why a letter must not be printed (stable strings: logs and tests use them)."""

    HASH_MISMATCH = "hash_mismatch"  # not the bytes the backend said it signed
    NOT_A_PDF = "not_a_pdf"  # truncated or garbage
    UNSIGNED = "unsigned"  # no signature at all
    MODIFIED = "modified"  # bytes changed or appended after signing
    BAD_SIGNATURE = "bad_signature"  # the cryptography does not hold
    UNTRUSTED = "untrusted"  # signed, but not by a certificate under our trust anchors
    NO_TRUST_ANCHORS = "no_trust_anchors"  # nothing configured to check against
    CHECK_FAILED = "check_failed"  # the check itself could not run (crashed, too slow)


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool  # the signed bytes were not changed, and they cover the whole file
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the signer chains up to one of the trust anchors
    signer: str
    summary: str
    problem: LetterProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.intact and self.valid and self.trusted


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_letter(
    pdf: bytes, expected_sha256: str, trust_roots_pem: Sequence[bytes]
) -> SignatureCheck:
    """The whole check before printing: the backend's hash first, then the signature."""
    if sha256_hex(pdf) != expected_sha256.lower():
        return _failed(LetterProblem.HASH_MISMATCH, "SHA-256 differs from the backend's value")
    return validate_signed_pdf(pdf, trust_roots_pem)


def validate_signed_pdf(pdf: bytes, trust_roots_pem: bytes | Sequence[bytes]) -> SignatureCheck:
    """Check the letter's last signature against the trust anchors (never raises).

    The last signature must cover the entire file: anything appended after the village
    head signed (an incremental update, even a harmless-looking one) fails the check.
    """
    roots = [trust_roots_pem] if isinstance(trust_roots_pem, bytes) else list(trust_roots_pem)
    # A complete file ends with %%EOF: one cut anywhere else is truncated, even when an
    # earlier, complete revision happens to sit just before the cut.
    if pdf.lstrip()[:5] != b"%PDF-" or not pdf.rstrip().endswith(b"%%EOF"):
        return _failed(LetterProblem.NOT_A_PDF, "not a complete PDF file")
    try:
        context = _validation_context(roots)
    except ValueError as exc:
        return _failed(LetterProblem.NO_TRUST_ANCHORS, str(exc))
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        fields = reader.root.get("/AcroForm")  # touches the structure: a broken file fails here
    except Exception as exc:
        return _failed(LetterProblem.NOT_A_PDF, f"cannot read: {type(exc).__name__}: {exc}")
    try:
        signatures = reader.embedded_signatures
    except Exception as exc:  # a signature field whose contents cannot be parsed
        return _failed(LetterProblem.BAD_SIGNATURE, f"unreadable signature: {type(exc).__name__}")
    if not signatures:
        summary = "no signature in the document" if fields is None else "no signature value"
        return _failed(LetterProblem.UNSIGNED, summary)
    try:
        status = validate_pdf_signature(signatures[-1], context)
    except Exception as exc:  # a CMS structure pyHanko cannot make sense of
        return _failed(LetterProblem.BAD_SIGNATURE, f"cannot validate: {type(exc).__name__}: {exc}")
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    intact = bool(status.intact and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    valid, trusted = bool(status.valid), bool(status.trusted)
    problem = None
    if not intact:
        problem = LetterProblem.MODIFIED
    elif not valid:
        problem = LetterProblem.BAD_SIGNATURE
    elif not trusted:
        problem = LetterProblem.UNTRUSTED
    return SignatureCheck(intact, valid, trusted, signer, status.summary(), problem)


def _validation_context(roots_pem: list[bytes]):  # -> pyhanko_certvalidator.ValidationContext
    from asn1crypto import pem, x509
    from pyhanko_certvalidator import ValidationContext

    certificates = []
    for data in roots_pem:
        if not data.strip():
            continue
        try:
            for _, _, der in pem.unarmor(data, multiple=True):
                _require_usable_certificate(der)
                certificates.append(x509.Certificate.load(der))
        except Exception as exc:
            raise ValueError(f"a trust anchor is not a PEM certificate: {exc}") from None
    if not certificates:
        raise ValueError("no trust anchors configured")
    return ValidationContext(trust_roots=certificates)


def _require_usable_certificate(der: bytes) -> None:
    """Parse the whole certificate now (asn1crypto is lazy): a broken anchor is a
    configuration problem, not an "untrusted letter" found later."""
    from cryptography import x509 as crypto_x509

    crypto_x509.load_der_x509_certificate(der).public_key()


def _failed(problem: LetterProblem, summary: str) -> SignatureCheck:
    return SignatureCheck(False, False, False, "", summary, problem)


# --- a check in a separate process ------------------------------------------------------------
#
# `python -m apm_api.signature` reads one request on stdin: a first line of JSON
# {"anchors": ["-----BEGIN CERTIFICATE-----...", ...]}, then the PDF's bytes; it writes the
# SignatureCheck as one line of JSON. The kiosk runs its checks this way (kiosk.letter_check):
# pyHanko and what it pulls in stay out of the kiosk's long-lived process, and a hostile PDF
# can at worst kill a child that is given a time and a memory limit.


def check_to_json(check: SignatureCheck) -> str:
    fields = {
        "intact": check.intact,
        "valid": check.valid,
        "trusted": check.trusted,
        "signer": check.signer,
        "summary": check.summary,
        "problem": check.problem.value if check.problem else None,
    }
    return json.dumps(fields, ensure_ascii=False)


def check_from_json(text: str) -> SignatureCheck:
    """The child's answer; ValueError if it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    problem = data.get("problem")
    return SignatureCheck(
        intact=bool(data["intact"]),
        valid=bool(data["valid"]),
        trusted=bool(data["trusted"]),
        signer=str(data["signer"]),
        summary=str(data["summary"]),
        problem=LetterProblem(problem) if problem is not None else None,
    )


def _main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--max-memory":
        import resource

        limit = int(sys.argv[2])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    header = sys.stdin.buffer.readline()
    try:
        anchors = [a.encode() for a in json.loads(header)["anchors"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        print("apm_api.signature: expected a JSON header line with anchors", file=sys.stderr)
        return 2
    pdf = sys.stdin.buffer.read()
    print(check_to_json(validate_signed_pdf(pdf, anchors)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
