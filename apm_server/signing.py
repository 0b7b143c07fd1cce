"""Electronic signatures for the demo: a demo CA and real PAdES signatures (pyHanko).

In production a village's letters are signed through BSrE; here the server makes its own
root CA on first start and a certificate for the village head, so a kiosk can validate
letters against `ca.pem` exactly as it would against BSrE's roots.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

CA_NAME = "APM Demo Root CA"
CA_KEY = "ca-key.pem"


@dataclass(frozen=True)
class DemoCA:
    ca_cert: Path
    signer_cert: Path
    signer_key: Path


def ensure_demo_ca(folder: Path, head_name: str, village: str) -> DemoCA:
    """Create the demo CA and the village head's certificate once; reuse them after."""
    paths = DemoCA(folder / "ca.pem", folder / "signer-cert.pem", folder / "signer-key.pem")
    if all(p.exists() for p in (paths.ca_cert, paths.signer_cert, paths.signer_key)):
        return paths
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.now(UTC) - timedelta(days=1)

    def name(common: str, unit: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "APM Kiosk demo"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name(CA_NAME, "Demo certificate authority (not BSrE)")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(name(head_name, f"Kepala Desa {village}"))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    paths.signer_cert.write_bytes(signer_cert.public_bytes(pem))
    _write_key(paths.signer_key, signer_key)
    _write_key(folder / CA_KEY, ca_key)  # further villages' heads get certificates from it
    return paths


def ensure_village_signer(ca: DemoCA, code: str, head_name: str, village: str) -> DemoCA:
    """Another village's head, certified by the same demo CA (one ca.pem for a district's
    kiosks); made once in `villages/<code>/` beside the CA, reused after."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = ca.ca_cert.parent / "villages" / code
    paths = DemoCA(ca.ca_cert, folder / "signer-cert.pem", folder / "signer-key.pem")
    if paths.signer_cert.exists() and paths.signer_key.exists():
        return paths
    ca_key_path = ca.ca_cert.parent / CA_KEY
    if not ca_key_path.exists():
        raise RuntimeError(
            f"the demo CA in {ca.ca_cert.parent} was made before several villages and kept no "
            "key: remove that folder (kiosks then need the new ca.pem)"
        )
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(ca.ca_cert.read_bytes())
    template = x509.load_pem_x509_certificate(ca.signer_cert.read_bytes())
    subject = x509.Name(
        [
            a
            for a in template.subject
            if a.oid not in (x509.NameOID.COMMON_NAME, x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
        ]
        + [
            x509.NameAttribute(x509.NameOID.ORGANIZATIONAL_UNIT_NAME, f"Kepala Desa {village}"),
            x509.NameAttribute(x509.NameOID.COMMON_NAME, head_name),
        ]
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    _write_key(paths.signer_key, signer_key)
    paths.signer_cert.write_bytes(signer_cert.public_bytes(serialization.Encoding.PEM))
    return paths


def _write_key(path: Path, key: object) -> None:
    """A private key, readable by its owner only from the moment it exists."""
    from cryptography.hazmat.primitives import serialization

    key_bytes = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(key_bytes)


def _key_usage(*, cert_sign: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not cert_sign,  # non-repudiation, for a signer
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def sign_pdf(pdf: bytes, ca: DemoCA, *, reason: str, location: str) -> bytes:
    """A PAdES signature over the whole letter, as BSrE's signing service would add."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer(ca)
    metadata = signers.PdfSignatureMetadata(
        field_name="TTE",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    # Room for the signature given up front: otherwise pyHanko signs once more beforehand
    # just to learn the size, which doubled the cost of every letter.
    out = signers.sign_pdf(writer, metadata, signer=signer, bytes_reserved=SIGNATURE_BYTES)
    return out.getvalue()


# An ECDSA P-256 CMS signature with its two certificates is about 1.3 KB; the room is
# written as hex, twice that, and what is left is padding.
SIGNATURE_BYTES = 8192


@functools.lru_cache(maxsize=64)
def _signer(ca: DemoCA) -> Any:
    """The village head's key and certificates, read once (a district signs all day)."""
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(
        str(ca.signer_key), str(ca.signer_cert), ca_chain_files=(str(ca.ca_cert),)
    )
    if signer is None:
        raise RuntimeError(f"the signing key in {ca.signer_key.parent} could not be loaded")
    return signer
