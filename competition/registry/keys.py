"""The site's registry signing key (ECDSA P-256) and its self-signed certificate.

The registry verifies every token against the certificate listed in its ``rootcertbundle``;
the token's ``x5c`` header carries the same certificate. The key never leaves the key file: it
is read when a token is signed and never logged.
"""

from __future__ import annotations

import base64
import datetime
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class SigningKeyMissing(RuntimeError):
    """The signing key or its certificate is missing or unreadable; the message says which file."""


@dataclass(frozen=True)
class SigningKey:
    """The private key (PEM) and the base64 DER certificate for the ``x5c`` header."""

    private_pem: bytes
    certificate_b64: str

    def __repr__(self) -> str:  # never print the key
        return "SigningKey(<hidden>)"


def create_key_pair(key_file: Path, cert_file: Path, *, common_name: str = "evalbox registry token issuer",
                    days: int = 3650, force: bool = False) -> bool:
    """Write a new key (mode 0600) and certificate unless both exist; return whether they were written."""
    if key_file.exists() and cert_file.exists() and not force:
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    cert_file.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    load_signing_key.cache_clear()
    return True


@functools.cache
def load_signing_key(key_file: str, cert_file: str) -> SigningKey:
    """The key and certificate of these files (read once per process)."""
    try:
        private_pem = Path(key_file).read_bytes()
    except OSError as exc:
        raise SigningKeyMissing(f"The registry signing key {key_file} cannot be read ({exc.strerror}); "
                        "create it with `manage.py registry_keys`.") from None
    try:
        certificate = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    except (OSError, ValueError) as exc:
        raise SigningKeyMissing(f"The registry certificate {cert_file} cannot be read ({exc}); "
                        "create it with `manage.py registry_keys`.") from None
    der = certificate.public_bytes(serialization.Encoding.DER)
    return SigningKey(private_pem=private_pem, certificate_b64=base64.b64encode(der).decode())
