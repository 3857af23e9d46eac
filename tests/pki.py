"""A throw-away certificate authority for the seal tests: a root and a seal certificate it issued."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pki:
    root_pem: Path
    seal_p12: Path
    passphrase: str


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test-CA docgen"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")])


def make_pki(folder: Path, passphrase: str = "geheim-1234") -> Pki:
    now = dt.datetime.now(dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (x509.CertificateBuilder().subject_name(_name("Test-Wurzel")).issuer_name(_name("Test-Wurzel"))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    seal = (x509.CertificateBuilder().subject_name(_name("Stadt Musterstadt – Siegel")).issuer_name(root.subject)
            .public_key(seal_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    root_pem = folder / "wurzel.pem"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    p12 = folder / "siegel.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"siegel", seal_key, seal, [root], serialization.BestAvailableEncryption(passphrase.encode())))
    p12.chmod(0o600)
    return Pki(root_pem, p12, passphrase)


def make_self_signed(folder: Path, cn: str, passphrase: str = "angreifer-1234") -> Path:
    """A self-made seal anyone could create (the attacker's certificate), as PKCS#12."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    p12 = folder / "selbstgemacht.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"selbstgemacht", key, cert, None, serialization.BestAvailableEncryption(passphrase.encode())))
    return p12
