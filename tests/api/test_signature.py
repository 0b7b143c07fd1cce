"""The kiosk's check before printing (`apm_api.signature.check_letter`), against letters
signed for real by the reference server's demo CA (PAdES, pyHanko).

Every tampered letter is checked with the SHA-256 of its own bytes, as if the backend (or
whoever sits between) had announced that hash too: the signature alone must catch it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest

from apm_api.signature import LetterProblem, SignatureCheck, check_letter, sha256_hex
from apm_server import demo_data
from apm_server.letter import LetterContent, render_letter
from apm_server.signing import DemoCA, ensure_demo_ca, sign_pdf

HEAD = "Ahmad Fauzi"
TITLE = "Surat Keterangan Domisili"


@dataclass(frozen=True)
class Letters:
    unsigned: bytes
    signed: bytes  # by the village head, under `ca_pem`
    signed_elsewhere: bytes  # the same letter, by a head certified by another CA
    ca_pem: bytes
    other_ca_pem: bytes


def make_ca(folder: Path) -> DemoCA:
    return ensure_demo_ca(folder, HEAD, demo_data.VILLAGE.name)


def sign(pdf: bytes, ca: DemoCA) -> bytes:
    return sign_pdf(pdf, ca, reason=TITLE, location=f"Desa {demo_data.VILLAGE.name}")


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Letters:
    """One letter rendered and signed twice (signing is slow: once per module)."""
    folder = tmp_path_factory.mktemp("signature")
    ca, other = make_ca(folder / "village-ca"), make_ca(folder / "other-ca")
    unsigned = render_letter(
        LetterContent(
            village=demo_data.VILLAGE,
            title=TITLE,
            number="474.4/007/35.23.01.2001/XI/2026",
            resident={"name": "Budi Santoso", "nik": "3523011203850002", "birth_place": "Tuban"},
            paragraph="Orang tersebut di atas adalah benar warga Desa Sumberejo.",
            purpose="Pendaftaran sekolah",
            issued=datetime(2026, 11, 23, 9, 30),
            verify_url="http://127.0.0.1:8080/verify/req-1?code=231126-001",
        )
    )
    return Letters(
        unsigned=unsigned,
        signed=sign(unsigned, ca),
        signed_elsewhere=sign(unsigned, other),
        ca_pem=ca.ca_cert.read_bytes(),
        other_ca_pem=other.ca_cert.read_bytes(),
    )


def check(pdf: bytes, anchors: list[bytes]) -> SignatureCheck:
    """check_letter with the hash of exactly these bytes: only the signature can object."""
    return check_letter(pdf, sha256_hex(pdf), anchors)


def byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found, "no /ByteRange in the signed PDF"
    a, b, c, d = (int(x) for x in found[-1])
    return a, b, c, d


def flip_byte(pdf: bytes, position: int) -> bytes:
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def flip_hex_digit(pdf: bytes, position: int) -> bytes:
    """Another value for one hex digit of the signature's /Contents (still valid hex)."""
    changed = bytearray(pdf)
    changed[position] = ord("1") if changed[position] == ord("0") else ord("0")
    return bytes(changed)


# --- the good letter -------------------------------------------------------------------------


def test_a_good_letter_passes(letters: Letters) -> None:
    result = check_letter(letters.signed, sha256_hex(letters.signed), [letters.ca_pem])
    assert result.ok, result.summary
    assert (result.intact, result.valid, result.trusted, result.problem) == (True, True, True, None)
    assert HEAD in result.signer


def test_the_backends_hash_may_be_upper_case(letters: Letters) -> None:
    digest = sha256_hex(letters.signed).upper()
    assert check_letter(letters.signed, digest, [letters.ca_pem]).ok


def test_the_right_anchor_second_in_the_list(letters: Letters) -> None:
    result = check(letters.signed, [letters.other_ca_pem, letters.ca_pem])
    assert result.ok, result.summary


def test_the_right_anchor_in_a_bundle_of_several(letters: Letters) -> None:
    bundle = letters.other_ca_pem + b"\n" + letters.ca_pem
    assert check(letters.signed, [bundle]).ok


# --- not the letter the backend announced -----------------------------------------------------


def test_a_hash_mismatch_is_refused_before_the_signature_is_looked_at(letters: Letters) -> None:
    result = check_letter(letters.signed, sha256_hex(letters.unsigned), [letters.ca_pem])
    assert result.problem == LetterProblem.HASH_MISMATCH
    assert not result.ok
    assert (result.intact, result.valid, result.trusted) == (False, False, False)


def test_a_tampered_letter_under_the_original_hash_is_a_hash_mismatch(letters: Letters) -> None:
    tampered = flip_byte(letters.signed, byte_range(letters.signed)[1] // 2)
    result = check_letter(tampered, sha256_hex(letters.signed), [letters.ca_pem])
    assert result.problem == LetterProblem.HASH_MISMATCH


# --- signatures: missing, changed, extended, foreign ------------------------------------------


def test_an_unsigned_letter_is_refused(letters: Letters) -> None:
    result = check(letters.unsigned, [letters.ca_pem])
    assert result.problem == LetterProblem.UNSIGNED
    assert not result.ok


def changed_in_the_first_signed_part(signed: bytes) -> bytes:
    _, b, _, _ = byte_range(signed)
    return flip_byte(signed, b // 2)


def changed_after_the_signature_value(signed: bytes) -> bytes:
    _, _, c, d = byte_range(signed)
    return flip_byte(signed, c + d // 2)


def changed_in_the_title(signed: bytes) -> bytes:
    # The title sits uncompressed in the Info dictionary and in the signature's /Reason.
    where = signed.find(TITLE.encode())
    assert where != -1
    return signed[:where] + TITLE.replace("Domisili", "Domisilj").encode() + signed[where + 25 :]


@pytest.mark.parametrize(
    "tamper",
    [changed_in_the_first_signed_part, changed_after_the_signature_value, changed_in_the_title],
    ids=lambda f: f.__name__,
)
def test_a_byte_changed_inside_the_signed_range_is_refused(
    letters: Letters, tamper: Callable[[bytes], bytes]
) -> None:
    tampered = tamper(letters.signed)
    assert len(tampered) == len(letters.signed) and tampered != letters.signed
    result = check(tampered, [letters.ca_pem])
    assert not result.ok
    assert result.problem in (LetterProblem.MODIFIED, LetterProblem.BAD_SIGNATURE), result


def cms_length(signed: bytes) -> int:
    """Hex digits of the CMS blob in /Contents (the rest is zero padding)."""
    _, b, _, _ = byte_range(signed)
    header = signed[b + 1 : b + 9].decode()  # "3082LLLL": a SEQUENCE with a 2-byte length
    assert header[:4].upper() == "3082", header
    return (4 + int(header[4:], 16)) * 2


def test_a_changed_signature_value_is_a_bad_signature(letters: Letters) -> None:
    _, b, _, _ = byte_range(letters.signed)
    # The signer's ECDSA value is the last thing in the CMS blob.
    tampered = flip_hex_digit(letters.signed, b + 1 + cms_length(letters.signed) - 10)
    result = check(tampered, [letters.ca_pem])
    assert result.problem == LetterProblem.BAD_SIGNATURE, result
    assert result.intact and not result.valid


def test_a_damaged_signature_structure_is_a_bad_signature(letters: Letters) -> None:
    _, b, _, _ = byte_range(letters.signed)
    tampered = flip_hex_digit(letters.signed, b + 1 + 10)  # inside the CMS ContentType OID
    result = check(tampered, [letters.ca_pem])
    assert not result.ok
    assert result.problem == LetterProblem.BAD_SIGNATURE, result


def annotation_added(signed: bytes) -> bytes:
    """An incremental update that adds a note on the page (what a PDF viewer would save)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    note = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(x) for x in (100, 100, 300, 130)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("Keperluan: pinjaman bank"),
            generic.NameObject("/DA"): generic.pdf_string("/Helv 12 Tf 0 g"),
        }
    )
    annotations = generic.ArrayObject(list(page.get("/Annots", generic.ArrayObject())))
    annotations.append(writer.add_object(note))
    page[generic.NameObject("/Annots")] = annotations
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def info_revised(signed: bytes) -> bytes:
    """A second, unsigned revision that only changes the document information."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed))
    info = generic.DictionaryObject(
        {generic.NameObject("/Title"): generic.TextStringObject("Surat Keterangan Usaha")}
    )
    writer.set_info(writer.add_object(info))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def text_drawn_over_the_page(signed: bytes) -> bytes:
    """A second revision that draws new text on the page."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.add_stream_to_page(0, writer.add_object(content_stream(b"BT 100 400 Td (LUNAS) Tj ET")))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def content_stream(data: bytes):  # -> pyhanko StreamObject
    from pyhanko.pdf_utils import generic

    return generic.StreamObject(stream_data=data)


@pytest.mark.parametrize(
    "update",
    [annotation_added, info_revised, text_drawn_over_the_page],
    ids=lambda f: f.__name__,
)
def test_an_incremental_update_after_signing_is_modified(
    letters: Letters, update: Callable[[bytes], bytes]
) -> None:
    updated = update(letters.signed)
    assert updated.startswith(letters.signed) and len(updated) > len(letters.signed)
    result = check(updated, [letters.ca_pem])
    assert result.problem == LetterProblem.MODIFIED, result
    assert not result.intact and not result.ok


def test_plain_bytes_appended_after_signing_are_refused(letters: Letters) -> None:
    result = check(letters.signed + b"\n% catatan ditambahkan kemudian\n", [letters.ca_pem])
    assert not result.ok and not result.intact
    assert result.problem in (LetterProblem.MODIFIED, LetterProblem.NOT_A_PDF), result


def test_a_letter_signed_under_another_ca_is_untrusted(letters: Letters) -> None:
    result = check(letters.signed_elsewhere, [letters.ca_pem])
    assert result.problem == LetterProblem.UNTRUSTED, result
    assert not result.ok
    assert (result.intact, result.valid, result.trusted) == (True, True, False)
    assert HEAD in result.signer  # the name alone proves nothing


def test_each_letter_is_trusted_only_under_its_own_ca(letters: Letters) -> None:
    assert check(letters.signed_elsewhere, [letters.other_ca_pem]).ok
    assert check(letters.signed, [letters.other_ca_pem]).problem == LetterProblem.UNTRUSTED


# --- broken files ------------------------------------------------------------------------------


def cut_inside_the_first_revision(letters: Letters) -> int:
    return len(letters.unsigned) // 2


def cut_inside_the_signature_value(letters: Letters) -> int:
    _, b, c, _ = byte_range(letters.signed)
    return b + (c - b) // 2


def cut_before_the_last_eof_marker(letters: Letters) -> int:
    return letters.signed.rstrip().rfind(b"%%EOF") + 3


def cut_just_after_the_first_revision(letters: Letters) -> int:
    return len(letters.unsigned) + 200


@pytest.mark.parametrize(
    "cut",
    [
        cut_inside_the_first_revision,
        cut_inside_the_signature_value,
        cut_before_the_last_eof_marker,
        cut_just_after_the_first_revision,
    ],
    ids=lambda f: f.__name__,
)
def test_a_truncated_letter_is_not_a_pdf(letters: Letters, cut: Callable[[Letters], int]) -> None:
    truncated = letters.signed[: cut(letters)]
    assert letters.signed.startswith(truncated) and len(truncated) < len(letters.signed)
    result = check(truncated, [letters.ca_pem])
    assert result.problem == LetterProblem.NOT_A_PDF, result
    assert not result.ok


def test_a_letter_without_its_signature_revision_is_unsigned(letters: Letters) -> None:
    assert letters.signed.startswith(letters.unsigned)  # signing appends a revision
    assert check(letters.signed[: len(letters.unsigned)], [letters.ca_pem]).problem == (
        LetterProblem.UNSIGNED
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"Surat Keterangan Domisili", b"%PDF-1.7\n" + b"\x00\xff" * 500, b"<html></html>"],
    ids=["empty", "text", "binary-garbage", "html"],
)
def test_garbage_is_not_a_pdf(letters: Letters, data: bytes) -> None:
    result = check(data, [letters.ca_pem])
    assert result.problem == LetterProblem.NOT_A_PDF
    assert not result.ok and result.summary


# --- trust anchors -------------------------------------------------------------------------------


def pem_armored(der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END CERTIFICATE-----\n"


def pem_der(pem: bytes) -> bytes:
    return base64.b64decode(b"".join(pem.strip().splitlines()[1:-1]))


GARBAGE_ANCHORS = {
    "text": lambda ca: b"this is not a certificate",
    "armored-nothing": lambda ca: pem_armored(b"\x30\x00"),
    "armored-garbage": lambda ca: b"-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n",
    "der-not-pem": pem_der,
    "truncated-pem": lambda ca: ca[: len(ca) // 2],
}


@pytest.mark.parametrize("make", GARBAGE_ANCHORS.values(), ids=GARBAGE_ANCHORS.keys())
def test_garbage_anchor_bytes_are_no_trust_anchors(
    letters: Letters, make: Callable[[bytes], bytes]
) -> None:
    result = check(letters.signed, [make(letters.ca_pem)])
    assert result.problem == LetterProblem.NO_TRUST_ANCHORS, result
    assert not result.ok and result.summary


def test_one_garbage_anchor_spoils_the_list(letters: Letters) -> None:
    # A broken anchor file is a broken installation: said plainly, never skipped silently.
    result = check(letters.signed, [b"not a certificate", letters.ca_pem])
    assert result.problem == LetterProblem.NO_TRUST_ANCHORS
    assert "not a PEM certificate" in result.summary


@pytest.mark.parametrize("anchors", [[], [b""], [b"  \n"]], ids=["none", "empty", "blank"])
def test_no_anchor_at_all_is_no_trust_anchors(letters: Letters, anchors: list[bytes]) -> None:
    result = check(letters.signed, anchors)
    assert result.problem == LetterProblem.NO_TRUST_ANCHORS
    assert not result.ok


def with_a_broken_public_key(ca_pem: bytes) -> bytes:
    """The CA certificate with one byte of its EC point changed: still parses as a
    certificate, but its key is not a point on the curve."""
    from asn1crypto import x509

    der = pem_der(ca_pem)
    key_info = x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"].dump()
    start = der.index(key_info)
    return pem_armored(flip_byte(der, start + len(key_info) - 1))


def test_an_anchor_with_a_broken_key_is_no_trust_anchors(letters: Letters) -> None:
    result = check(letters.signed, [with_a_broken_public_key(letters.ca_pem)])
    assert result.problem == LetterProblem.NO_TRUST_ANCHORS, result
