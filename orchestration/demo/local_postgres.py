"""A throwaway PostgreSQL server in a folder, for the demo ERP database, the connector benchmark and the tests.

``LocalPostgres(base_dir, password)`` runs ``initdb`` (user ``sop``, password authentication with
``scram-sha-256``) and ``pg_ctl start`` on 127.0.0.1 and a free port, with durability switched off
(``fsync``, ``synchronous_commit``, ``full_page_writes``): the server is rebuilt from the demo's files
whenever needed, so speed matters more than surviving a power cut. ``stop()`` shuts it down and
removes its data. The password is only ever written to a ``0600`` file for ``initdb`` (deleted right
after), never passed on a command line.

The binaries come from the ``PATH`` (``pg_ctl``) or Debian's ``/usr/lib/postgresql/<version>/bin``
(package ``postgresql``). PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` system user (``runuser``), in a folder it owns.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from orchestration.connectors.postgres import PostgresConnection

_LOG = logging.getLogger(__name__)

#: the server's superuser, and the system user that runs the server when we are root
SERVER_USER = "sop"
SYSTEM_USER = "postgres"
HOST = "127.0.0.1"
DEBIAN_BIN_ROOT = Path("/usr/lib/postgresql")
BINARIES = ("initdb", "pg_ctl", "postgres")
#: a unix socket path longer than this does not fit in ``sockaddr_un``
_SOCKET_PATH_MAX = 100
_START_ATTEMPTS = 3
_START_TIMEOUT_S = 60


class PostgresServerError(RuntimeError):
    """The local server could not be set up, started or stopped."""


def _has_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in BINARIES)


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def find_postgres_bin() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``/``postgres``: the ``PATH``'s ``pg_ctl`` (symlinks resolved),
    else Debian's ``/usr/lib/postgresql/<highest version>/bin``; ``None`` when neither has them."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    if DEBIAN_BIN_ROOT.is_dir():
        candidates += sorted(DEBIAN_BIN_ROOT.glob("*/bin"), key=_version_key, reverse=True)
    return next((folder for folder in candidates if _has_binaries(folder)), None)


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class LocalPostgres:
    """A PostgreSQL server of its own in ``base_dir`` (module docstring); a context manager.

    As root, the server's files go to ``base_dir`` when the ``postgres`` user can reach it (it is
    chowned to that user), else to a private temporary folder, removed by ``stop()``.
    """

    def __init__(self, base_dir: Path, password: str, port: int | None = None) -> None:
        if not password:
            raise ValueError("the local server needs a password")
        self.base_dir = Path(base_dir)
        self._password = password
        self._requested_port = port
        self.port: int | None = None
        self.bin_dir: Path | None = None
        self.server_dir: Path | None = None
        self._own_server_dir = False
        self._running = False

    def __repr__(self) -> str:
        return f"LocalPostgres({str(self.base_dir)!r}, port={self.port})"

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def data_dir(self) -> Path:
        return self._server_dir() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._server_dir() / "socket"

    @property
    def log_file(self) -> Path:
        return self._server_dir() / "postgres.log"

    def _server_dir(self) -> Path:
        if self.server_dir is None:
            raise PostgresServerError("the local PostgreSQL server was never started")
        return self.server_dir

    # ------------------------------------------------------------------ running the binaries
    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", SYSTEM_USER, "--", *args] if self.as_root else list(args)

    def _run(self, step: str, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        done = subprocess.run(
            self._command(*args), cwd=self._server_dir(), env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            output = " ".join(f"{done.stdout}\n{done.stderr}".split())
            raise PostgresServerError(f"{step} failed (exit {done.returncode}): {output}")
        return done

    def _give_to_server_user(self, path: Path) -> None:
        if self.as_root:
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _reachable_by_server_user(self, folder: Path) -> bool:
        if not self.as_root:
            return True
        probe = subprocess.run(
            ["runuser", "-u", SYSTEM_USER, "--", "test", "-w", str(folder), "-a", "-x", str(folder)],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

    def _prepare_server_dir(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        folder = self.base_dir.resolve()
        self._give_to_server_user(folder)
        too_long = len(str(folder / "socket" / ".s.PGSQL.65535")) > _SOCKET_PATH_MAX
        if too_long or not self._reachable_by_server_user(folder):
            folder = Path(tempfile.mkdtemp(prefix="sop-postgres-"))
            self._own_server_dir = True
            self._give_to_server_user(folder)
            if not self._reachable_by_server_user(folder):
                shutil.rmtree(folder, ignore_errors=True)
                raise PostgresServerError(f"the {SYSTEM_USER} user cannot reach {folder} nor {self.base_dir}")
            _LOG.debug("local PostgreSQL files in %s (%s is out of the server's reach)", folder, self.base_dir)
        self.server_dir = folder

    # ------------------------------------------------------------------ life cycle
    def start(self) -> LocalPostgres:
        """Create the cluster and start the server; returns ``self``."""
        if self._running:
            return self
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            raise PostgresServerError(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on the PATH nor in "
                f"{DEBIAN_BIN_ROOT}/<version>/bin: install Debian's package postgresql (apt-get install postgresql)"
            )
        if self.as_root:
            if shutil.which("runuser") is None:
                raise PostgresServerError("running as root needs runuser (util-linux) to start PostgreSQL")
            try:
                pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise PostgresServerError(
                    f"running as root needs the {SYSTEM_USER} system user (created by Debian's package postgresql)"
                ) from None
        self.bin_dir = bin_dir
        self._prepare_server_dir()
        try:
            self._initdb()
            self._start_server()
        except BaseException:
            self._stop_leftover()
            self._remove_files()
            raise
        return self

    def _stop_leftover(self) -> None:
        """Stop a server a failed start may have left behind (its ``postmaster.pid`` says so)."""
        if self.server_dir is not None and (self.data_dir / "postmaster.pid").exists():
            try:
                self._run(
                    "pg_ctl stop",
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                )
            except PostgresServerError as exc:
                _LOG.warning("could not stop the local PostgreSQL server of %s: %s", self.data_dir, exc)

    def _initdb(self) -> None:
        if self.data_dir.exists():
            raise PostgresServerError(f"{self.data_dir} already exists: stop the server that used it, or remove it")
        pwfile = self._server_dir() / f".pwfile-{os.getpid()}"
        descriptor = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(self._password + "\n")
            self._give_to_server_user(pwfile)
            self._run(
                "initdb",
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SERVER_USER,
                "-A",
                "scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _start_server(self) -> None:
        self.socket_dir.mkdir(exist_ok=True)
        self._give_to_server_user(self.socket_dir)
        attempts = 1 if self._requested_port else _START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port or free_port()
            options = [
                "-p",
                str(port),
                "-k",
                str(self.socket_dir),
                "-c",
                f"listen_addresses={HOST}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
            try:
                self._run(
                    "pg_ctl start",
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    " ".join(shlex.quote(option) for option in options),
                    "-w",
                    "-t",
                    str(_START_TIMEOUT_S),
                    "start",
                )
            except PostgresServerError as exc:
                if attempt == attempts:
                    raise PostgresServerError(f"{exc}; server log: {self._log_tail()}") from None
                continue
            self.port, self._running = port, True
            _LOG.debug("local PostgreSQL running on %s:%s (%s)", HOST, port, self.data_dir)
            return

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Shut the server down (fast) and remove its data; safe to call twice."""
        if self.server_dir is None:
            return
        try:
            if self._running:
                self._run(
                    "pg_ctl stop", str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"
                )
                self._running = False
        finally:
            self._remove_files()

    def _remove_files(self) -> None:
        if self._running:
            return
        if self._own_server_dir:
            shutil.rmtree(self._server_dir(), ignore_errors=True)
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.log_file.unlink(missing_ok=True)
        self.server_dir, self._own_server_dir = None, False

    # ------------------------------------------------------------------ databases
    def connection(self, database: str = "postgres") -> PostgresConnection:
        """How to connect to ``database`` of this server as ``sop``."""
        if not self._running or self.port is None:
            raise PostgresServerError("the local PostgreSQL server is not running")
        return PostgresConnection(HOST, self.port, database, SERVER_USER, self._password)

    def create_database(self, name: str) -> PostgresConnection:
        """Create the database ``name``; returns how to connect to it."""
        with psycopg.connect(self.connection().conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.connection(name)

    def drop_database(self, name: str) -> None:
        """Drop the database ``name`` (closing its sessions); nothing when it does not exist."""
        with psycopg.connect(self.connection().conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
