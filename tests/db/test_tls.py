"""TLS (verify-full against a self-signed CA) and password handling on a real cluster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import ipaddress
import os
from pathlib import Path
import pwd
import tempfile
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest
import pytest_socket

from custom_components.ev_ledger.db import (
    DbConfig,
    InvalidAuth,
    TlsError,
    connect_and_migrate,
    head_revision,
)
from tests.pgcluster import PgCluster

if TYPE_CHECKING:
    from collections.abc import Iterator

PASSWORD = "tls-Pa55-w0rd!"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None = None,
    *,
    ca: bool,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class TlsCluster:
    cluster: PgCluster
    ca: Path
    wrong_ca: Path

    def config(self, **kwargs: object) -> DbConfig:
        return DbConfig.from_url(self.cluster.url, **kwargs)


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[TlsCluster]:
    root = Path(tempfile.mkdtemp(prefix="evl-tls-"))
    cluster = PgCluster(root)
    certs = root / "certs"
    pytest_socket.enable_socket()
    try:
        ca_key, server_key, other_key = _key(), _key(), _key()
        ca = _cert("EV Ledger test CA", ca_key, ca_key, ca=True)
        wrong = _cert("Some other CA", other_key, other_key, ca=True)
        server = _cert("127.0.0.1", server_key, ca_key, ca.subject, ca=False)
        cluster.init(
            "ssl = on\n"
            f"ssl_cert_file = '{certs / 'server.crt'}'\n"
            f"ssl_key_file = '{certs / 'server.key'}'\n"
            "password_encryption = 'scram-sha-256'\n"
        )
        certs.mkdir()
        (certs / "server.crt").write_bytes(_pem(server))
        (certs / "server.key").write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (root / "ca.crt").write_bytes(_pem(ca))
        (root / "wrong.crt").write_bytes(_pem(wrong))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (certs, certs / "server.crt", certs / "server.key"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        (certs / "server.key").chmod(0o600)
        hba = cluster.datadir / "pg_hba.conf"
        cluster._run(
            "sh",
            "-c",
            f"printf 'hostssl all evl_pw 127.0.0.1/32 scram-sha-256\\n' > {hba}.new"
            f" && cat {hba} >> {hba}.new && mv {hba}.new {hba}",
        )
        cluster.start()
        cluster.psql(f"CREATE ROLE evl_pw LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])
        pytest_socket.disable_socket(allow_unix_socket=True)
    yield TlsCluster(cluster, root / "ca.crt", root / "wrong.crt")
    cluster.destroy()


def test_verify_full_with_the_right_ca(tls_cluster: TlsCluster) -> None:
    config = tls_cluster.config(sslmode="verify-full", sslrootcert=str(tls_cluster.ca))
    assert connect_and_migrate(config).after == head_revision()


def test_verify_full_with_a_wrong_ca_is_a_tls_error(tls_cluster: TlsCluster) -> None:
    config = tls_cluster.config(
        sslmode="verify-full", sslrootcert=str(tls_cluster.wrong_ca)
    )
    with pytest.raises(TlsError, match="certificate"):
        connect_and_migrate(config)


def test_missing_ca_file_is_a_tls_error(
    tls_cluster: TlsCluster, tmp_path: Path
) -> None:
    config = tls_cluster.config(
        sslmode="verify-ca", sslrootcert=str(tmp_path / "absent.crt")
    )
    with pytest.raises(TlsError):
        connect_and_migrate(config)


def test_password_over_tls(tls_cluster: TlsCluster) -> None:
    good = tls_cluster.config(
        user="evl_pw",
        password=PASSWORD,
        sslmode="verify-full",
        sslrootcert=str(tls_cluster.ca),
        database="postgres",
    )
    connect_and_migrate(good)
    bad = tls_cluster.config(
        user="evl_pw",
        password=PASSWORD + "x",
        sslmode="verify-full",
        sslrootcert=str(tls_cluster.ca),
    )
    with pytest.raises(InvalidAuth) as caught:
        connect_and_migrate(bad)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(caught.value)
    assert PASSWORD not in repr(bad)
