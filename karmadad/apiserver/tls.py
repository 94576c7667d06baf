"""TLS for the API: a CA and a serving certificate generated into the data dir on first start.

Keys are written 0600. The serving certificate is regenerated (from the same CA) when the names it
must cover change, so adding a name to the config and restarting is enough; clients that trust the
CA keep working.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from karmadad.logs import get_logger

log = get_logger("tls")

DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
# Private keys that can sign a certificate clients verify (a CA key read back from disk may be any kind; DSA
# is not among them: Go's TLS stack, kubectl's, no longer verifies DSA signatures, and cryptography deprecates it).
_SIGNING_KEYS = (
    ec.EllipticCurvePrivateKey,
    rsa.RSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _covered_names(cert_path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.DNSName)} | {
        str(v) for v in san.get_values_for_type(x509.IPAddress)
    }


class GeneratedPKI:
    """``ca.crt``/``ca.key`` and ``apiserver.crt``/``apiserver.key`` under ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.ca_cert = directory / "ca.crt"
        self.ca_key = directory / "ca.key"
        self.cert = directory / "apiserver.crt"
        self.key = directory / "apiserver.key"

    def ensure(self, names: list[str]) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        if not (self.ca_cert.exists() and self.ca_key.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            ca = (
                x509.CertificateBuilder()
                .subject_name(_name("karmadad-ca"))
                .issuer_name(_name("karmadad-ca"))
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(
                    x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
                )
                .sign(key, hashes.SHA256())
            )
            _write_private(self.ca_key, _key_pem(key))
            self.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
            self.cert.unlink(missing_ok=True)
            log.info("generated a CA for the API", path=str(self.ca_cert))
        wanted = sorted(set(DEFAULT_NAMES) | set(names))
        if self.cert.exists() and self.key.exists() and set(wanted) <= _covered_names(self.cert):
            return
        ca_key = serialization.load_pem_private_key(self.ca_key.read_bytes(), password=None)
        if not isinstance(ca_key, _SIGNING_KEYS):
            raise ValueError(f"{self.ca_key}: a {type(ca_key).__name__} cannot sign certificates")
        ca = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("karmadad"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(_san(wanted), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(self.key, _key_pem(key))
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        log.info("generated the API serving certificate", names=",".join(wanted))


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
