"""Throw-away certificates for the local control plane and for webhook servers in tests.

Used by the control-plane launcher (a CA, the apiserver's serving certificate, an admin client
certificate in `system:masters`, service-account keys) and by webhook tests
(`write_serving_cert`). Keys are ECDSA P-256, valid for a week, like envtest's.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=7)
_CLOCK_SKEW = datetime.timedelta(minutes=5)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Authority:
    """A certificate authority that can issue leaf certificates."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, name: str) -> Authority:
        """A new self-signed CA named `name`."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        usage = x509.KeyUsage(
            digital_signature=True,
            key_cert_sign=True,
            crl_sign=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            encipher_only=False,
            decipher_only=False,
        )
        cert = (
            _builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def issue(
        self,
        name: str,
        *,
        groups: Sequence[str] = (),
        hosts: Sequence[str] = (),
        client: bool = False,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A leaf: CN=name, O=groups; a server certificate for `hosts`, or a client one."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, name)]
            + [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
        )
        purpose = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            _builder(subject, self.cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
        )
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(_sans(hosts)), critical=False
            )
        return key, builder.sign(self.key, hashes.SHA256())


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _VALIDITY)
    )


def _sans(hosts: Sequence[str]) -> list[x509.GeneralName]:
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    return sans


def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem_cert(cert: x509.Certificate) -> bytes:
    """A certificate as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, private: bool = False) -> Path:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
    return path


@dataclass(frozen=True)
class ControlPlanePki:
    """The files kube-apiserver and its admin kubeconfig need."""

    ca: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    service_account_key: Path
    service_account_pub: Path
    # what kube-apiserver presents to admission webhooks that ask for a client certificate
    webhook_client_cert: Path
    webhook_client_key: Path


def write_control_plane_pki(directory: Path) -> ControlPlanePki:
    """Generate the control plane's CA, serving, admin and service-account files in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = Authority.create("budgetwarden-dev-ca")
    serving_key, serving = ca.issue("kube-apiserver", hosts=LOOPBACK_HOSTS)
    admin_key, admin = ca.issue("admin", groups=["system:masters"], client=True)
    webhook_key, webhook = ca.issue("kube-apiserver-webhook-client", client=True)
    sa_key = ec.generate_private_key(ec.SECP256R1())
    sa_pub = sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write(directory / "ca.key", pem_key(ca.key), private=True)
    return ControlPlanePki(
        ca=_write(directory / "ca.crt", pem_cert(ca.cert)),
        serving_cert=_write(directory / "apiserver.crt", pem_cert(serving)),
        serving_key=_write(directory / "apiserver.key", pem_key(serving_key), private=True),
        admin_cert=_write(directory / "admin.crt", pem_cert(admin)),
        admin_key=_write(directory / "admin.key", pem_key(admin_key), private=True),
        service_account_key=_write(directory / "sa.key", pem_key(sa_key), private=True),
        service_account_pub=_write(directory / "sa.pub", sa_pub),
        webhook_client_cert=_write(directory / "webhook-client.crt", pem_cert(webhook)),
        webhook_client_key=_write(
            directory / "webhook-client.key", pem_key(webhook_key), private=True
        ),
    )


@dataclass(frozen=True)
class ServingCert:
    """A serving certificate and the CA to trust it by (e.g. a webhook's caBundle)."""

    ca: Path
    cert: Path
    key: Path


def write_serving_cert(directory: Path, hosts: Sequence[str] = LOOPBACK_HOSTS) -> ServingCert:
    """A fresh CA and a serving certificate for `hosts`, written as ca.crt, tls.crt, tls.key."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = Authority.create("budgetwarden-webhook-ca")
    key, cert = ca.issue(hosts[0], hosts=hosts)
    return ServingCert(
        ca=_write(directory / "ca.crt", pem_cert(ca.cert)),
        cert=_write(directory / "tls.crt", pem_cert(cert)),
        key=_write(directory / "tls.key", pem_key(key), private=True),
    )
