"""Throwaway PostgreSQL clusters for tests and benchmarks.

Works as root (PostgreSQL refuses root, so the server runs as the `postgres` user via
runuser) and as a normal user. Clusters listen on 127.0.0.1 and a private Unix socket
directory; pytest-homeassistant-custom-component only allows loopback IPs and sockets.

Command line: `python -m tests.pgcluster start DIR` prints a URL; `stop DIR` stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile


def pg_bindir() -> Path:
    """Return the directory of the PostgreSQL server binaries."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return Path(env)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run(
            [pg_config, "--bindir"], check=True, capture_output=True, text=True
        ).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise RuntimeError(
        "PostgreSQL server binaries not found: install postgresql (initdb, pg_ctl)"
    )


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgCluster:
    """A PostgreSQL cluster in a directory of its own."""

    root: Path
    port: int = 0

    @property
    def datadir(self) -> Path:
        """Return the data directory."""
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        """Return the Unix socket directory."""
        return self.root / "sock"

    @property
    def url(self) -> str:
        """Return the SQLAlchemy URL of the `postgres` database as superuser."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"]
        return []

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_owner(), *args], check=check, capture_output=True, text=True
        )

    def init(self, extra_conf: str = "") -> None:
        """Create the cluster (trust auth on loopback; tests only)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self._chown(self.root)
        self.sockdir.mkdir(exist_ok=True)
        self._chown(self.sockdir)
        bindir = pg_bindir()
        self._run(
            str(bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        if not self.port:
            self.port = free_port()
        conf = (
            f"port = {self.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.sockdir}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 60\n"
            f"{extra_conf}"
        )
        auto = self.datadir / "postgresql.auto.conf"
        self._run("sh", "-c", f"cat >> '{auto}' <<'EOC'\n{conf}EOC\n")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        bindir = pg_bindir()
        result = self._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "30",
            "start",
            check=False,
        )
        if result.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed: {result.stderr}\n{log}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (mode: smart, fast or immediate)."""
        bindir = pg_bindir()
        self._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-m",
            mode,
            "-w",
            "stop",
            check=False,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql as the superuser and return its output."""
        bindir = pg_bindir()
        return self._run(
            str(bindir / "psql"),
            "-h",
            str(self.sockdir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            sql,
        ).stdout

    def destroy(self) -> None:
        """Stop the server and remove its files."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def new_cluster(extra_conf: str = "") -> PgCluster:
    """Create and start a cluster in a fresh temporary directory."""
    cluster = PgCluster(Path(tempfile.mkdtemp(prefix="evl-pg-")))
    cluster.init(extra_conf)
    cluster.start()
    return cluster


def start_cluster(extra_conf: str = "") -> PgCluster:
    """Start a throwaway cluster from inside a test run.

    pytest-homeassistant-custom-component disables socket creation for every test
    (pytest_socket; loopback connects only); `free_port` needs a socket to find a port,
    so sockets are enabled for that moment and the plugin's guard (127.0.0.1 and Unix
    sockets only) is put back. libpq opens its sockets in C, so database connections
    are not affected by the guard at all.
    """
    import pytest_socket  # test-only dependency; the CLI below does not need it

    pytest_socket.enable_socket()
    try:
        return new_cluster(extra_conf)
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])
        pytest_socket.disable_socket(allow_unix_socket=True)


def main(argv: list[str]) -> int:
    """Start or stop a cluster from the command line."""
    if len(argv) != 3 or argv[1] not in {"start", "stop"}:
        print("usage: python -m tests.pgcluster start|stop DIR", file=sys.stderr)  # noqa: T201
        return 2
    root = Path(argv[2])
    if argv[1] == "start":
        cluster = PgCluster(root)
        cluster.init()
        cluster.start()
        (root / "port").write_text(str(cluster.port))
        print(cluster.url)  # noqa: T201
        return 0
    port = int((root / "port").read_text()) if (root / "port").exists() else 0
    PgCluster(root, port).destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
