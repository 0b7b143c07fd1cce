"""HTTPS for the reference backend: a server certificate issued by its demo CA.

A kiosk provisioned for this server fetches the CA (`GET /api/v1/ca-certificate`), checks
it against the SHA-256 fingerprint in its provisioning file, and from then on verifies
the server's TLS certificate against it, so the server certificate must chain up to that
same CA. It is made once in the demo CA's folder (`server-cert.pem`, `server-key.pem`
mode 0600) and made again when it is missing, expires within 30 days, or does not name
every host the server is reached by.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from apm_server.signing import CA_KEY, DemoCA, _key_usage, _write_key

if TYPE_CHECKING:
    from cryptography import x509

SERVER_CERT = "server-cert.pem"
SERVER_KEY = "server-key.pem"
RENEW_BEFORE = timedelta(days=30)
# Always named: a kiosk or a test on the server's own machine.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def server_names(host: str, public_url: str | None = None) -> list[str]:
    """The names the server certificate must carry: loopback, the address it listens on
    (unless it listens on every address), and the host of its public URL."""
    names = list(LOOPBACK_NAMES)
    extra = [host if host not in WILDCARD_HOSTS else ""]
    if public_url:
        extra.append(urlsplit(public_url).hostname or "")
    for name in extra:
        if name and name not in names:
            names.append(name)
    return names


def ensure_server_certificate(ca: DemoCA, names: list[str]) -> tuple[Path, Path]:
    """(certificate, key) for serving HTTPS under `names`, issued by the demo CA."""
    folder = ca.ca_cert.parent
    cert_path, key_path = folder / SERVER_CERT, folder / SERVER_KEY
    if key_path.exists() and _still_good(cert_path, ca.ca_cert, names):
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key_path = folder / CA_KEY
    if not ca_key_path.exists():
        raise RuntimeError(
            f"the demo CA in {folder} was made before HTTPS and kept no key: remove that "
            "folder (kiosks then need the new ca.pem and its fingerprint)"
        )
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(ca.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=397))  # what browsers accept, at most
        .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _general_names(names: list[str]) -> list[x509.GeneralName]:
    from cryptography import x509

    general: list[x509.GeneralName] = []
    for name in names:
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            general.append(x509.DNSName(name))
    return general


def _still_good(cert_path: Path, ca_path: Path, names: list[str]) -> bool:
    """The certificate exists, was issued by this CA, lasts 30 more days and names every host."""
    if not cert_path.exists():
        return False
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        cert.verify_directly_issued_by(ca_cert)
        alternative = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return False
    named = {str(n) for n in alternative.get_values_for_type(x509.DNSName)}
    named |= {str(n) for n in alternative.get_values_for_type(x509.IPAddress)}
    wanted = {str(ipaddress.ip_address(n)) if _is_ip(n) else n for n in names}
    return wanted <= named and cert.not_valid_after_utc - datetime.now(UTC) > RENEW_BEFORE


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def certificate_pem(path: Path) -> str:
    """The certificate file's PEM text (the CA kiosks are told)."""
    return path.read_text(encoding="ascii")


def fingerprint(path: Path) -> str:
    """SHA-256 of the certificate's DER, as a provisioning file carries it (AA:BB:...)."""
    der = ssl.PEM_cert_to_DER_cert(certificate_pem(path))
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
