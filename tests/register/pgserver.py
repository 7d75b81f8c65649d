"""A throwaway PostgreSQL server for the tests: Debian's postgresql, `initdb` + `pg_ctl` in a temporary folder,
on a free port of 127.0.0.1 only, started once per test session and stopped (its folder removed) at its end.

PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user when there is one,
else `nobody`, through `runuser`. Without the binaries, `start` says why, and the tests that need the server
are skipped with that reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class Unavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says why."""


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on the PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _user() -> str | None:
    """The user the server runs as when this is root (None: the current user)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise Unavailable("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


@dataclass
class Server:
    folder: Path
    port: int
    user: str | None
    bin: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://subsidy@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://subsidy@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise Unavailable(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        except (Unavailable, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Server:
    """Initialise and start a server; raises Unavailable saying why it cannot."""
    folder = binaries()
    if folder is None:
        raise Unavailable("PostgreSQL is not installed (initdb and pg_ctl not found; `make test` installs Debian's "
                          "postgresql as root)")
    user = _user()
    home = Path(tempfile.mkdtemp(prefix="subsidy-pg-"))
    if user is not None:
        shutil.chown(home, user)
    home.chmod(0o700)
    server = Server(home, _free_port(), user, folder)
    try:
        server._run(str(folder / "initdb"), "-D", str(home / "data"), "-U", "subsidy", "--auth=trust", "-E", "UTF8",
                    "--no-locale", "--no-sync")
        options = (f"-p {server.port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
        server._run(str(folder / "pg_ctl"), "-D", str(home / "data"), "-o", options, "-l", str(home / "log"), "-w",
                    "-t", "60", "start")
    except (Unavailable, subprocess.TimeoutExpired, OSError) as error:
        server.stop()
        raise Unavailable(str(error)) from None
    return server
