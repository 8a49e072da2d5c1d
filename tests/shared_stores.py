"""Real servers for the multi-replica tests: Debian's redis-server, PostgreSQL and haproxy, each started
in a temporary folder on a free loopback port and stopped by the test that owns it.

`scripts/ensure-shared-stores.sh` (run by the README's test command) installs the packages.
Test code, not part of the package (the benchmark imports it too).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import wait_or_kill

READY_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = READY_SECONDS) -> bool:
    """True once something accepts TCP connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def launch(command: list[str], port: int, name: str) -> subprocess.Popen:
    """Start `command` with no terminal I/O and return it once it listens on `port`; stop it
    and raise when it does not."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL)
    if not wait_for_port(port):
        stop_process(process)
        raise RuntimeError(f"{name} did not listen on port {port}")
    return process


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    wait_or_kill(process, 5)


def program(name: str, *extra_dirs: str) -> str | None:
    """The path of `name` on PATH or in `extra_dirs`, else None."""
    found = shutil.which(name)
    if found:
        return found
    for folder in extra_dirs:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return None


@dataclass
class RedisServer:
    """A redis-server on 127.0.0.1:`port`, no persistence; `stop()` and `start()` again
    (same port, empty) play Redis lost and back."""

    folder: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = program("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: run scripts/ensure-shared-stores.sh")
        self.port = self.port or free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = launch(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "yes"],
            self.port, "redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def flush(self) -> None:
        """Empty every database (between tests)."""
        import redis

        with redis.Redis(port=self.port) as client:
            client.flushall()


@dataclass
class PostgresServer:
    """A PostgreSQL cluster made by initdb in a new temporary folder (as the `postgres` user
    when run as root: the folder is then its own, outside root's private temp folders),
    listening on 127.0.0.1:`port` only, trust authentication for the user `gex`. `stop()` and
    `start()` again (same data) play the database lost and back; `remove()` deletes it."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gex-pg-")))
    port: int = 0
    _made: bool = False

    @property
    def url(self) -> str:
        return f"postgresql://gex@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        prefix: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            prefix = ["runuser", "-u", "postgres", "--"]
        done = subprocess.run(prefix + list(argv), stdout=subprocess.DEVNULL, text=True,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
        if done.returncode:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip()}")

    def start(self) -> PostgresServer:
        bindir = next((str(p.parent) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))),
                      None)
        initdb = program("initdb", *([bindir] if bindir else []))
        pg_ctl = program("pg_ctl", *([bindir] if bindir else []))
        if initdb is None or pg_ctl is None:
            raise RuntimeError("PostgreSQL is missing: run scripts/ensure-shared-stores.sh")
        self.port = self.port or free_port()
        data = self.folder / "data"
        if not self._made:
            self.folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                self.folder.chmod(0o755)
                shutil.chown(self.folder, "postgres", "postgres")
            self._run(initdb, "-D", str(data), "-U", "gex", "--auth=trust", "-E", "UTF8",
                      "--no-sync")
            self._made = True
        self._run(pg_ctl, "-D", str(data), "-l", str(self.folder / "log"), "-w", "-t", "30",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c max_connections=100", "start")
        return self

    def stop(self) -> None:
        bindir = next((str(p.parent) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))),
                      None)
        pg_ctl = program("pg_ctl", *([bindir] if bindir else []))
        assert pg_ctl is not None
        self._run(pg_ctl, "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def reset(self) -> None:
        """Drop every table (between tests)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")


@dataclass
class Haproxy:
    """haproxy round-robin over loopback `backends` (ports), listening on `port`."""

    folder: Path
    backends: list[int]
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Haproxy:
        binary = program("haproxy", "/usr/sbin")
        if binary is None:
            raise RuntimeError("haproxy is missing: run scripts/ensure-shared-stores.sh")
        self.port = self.port or free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.backends), encoding="utf-8")
        self.process = launch([binary, "-db", "-f", str(config)], self.port, "haproxy")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


def haproxy_config(port: int, backends: list[int]) -> str:
    """The README's example: round-robin over the replicas, with health checks on /health
    and long timeouts for SSE streams."""
    servers = "\n".join(f"    server replica{i} 127.0.0.1:{p} check inter 1s"
                        for i, p in enumerate(backends, start=1))
    return f"""global
    maxconn 1024

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option http-server-close
    option redispatch
    retries 3

frontend gex
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /health
    http-check send hdr Host 127.0.0.1
{servers}
"""


@dataclass
class Replica:
    """One `gex-mcp serve --transport http --stateless` process on 127.0.0.1:`port`; its
    stdout and stderr are read into `log` (so the pipe never fills)."""

    process: subprocess.Popen
    port: int
    log: list[str]
    reader: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return "".join(self.log)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, wait (kill if stuck); the exit code (a killed replica: negative)."""
        if self.process.poll() is None:
            self.process.terminate()
        wait_or_kill(self.process, timeout)
        self.reader.join(timeout)
        return self.process.returncode


def start_replicas(folder: Path, count: int, env: dict[str, str],
                   startup_seconds: float = 60, stateful: tuple[int, ...] = ()) -> list[Replica]:
    """`count` stateless HTTP replicas (those numbered in `stateful`, from 1, keep sessions),
    each with its own data folder under `folder` (so whatever they share goes through Redis),
    started at once and ready to answer."""
    replicas = []
    for i in range(1, count + 1):
        home = folder / f"replica{i}"
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        full_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "GEX_DATA_DIR": str(home),
                    "MPLCONFIGDIR": str(home / "mpl"), **env}
        process = subprocess.Popen(
            [sys.executable, "-m", "gex_mcp", "serve", "--transport", "http",
             *([] if i in stateful else ["--stateless"]), "--port", str(port)], env=full_env, cwd=home, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log: list[str] = []
        reader = threading.Thread(target=_drain, args=(process, log), daemon=True)
        reader.start()
        replicas.append(Replica(process, port, log, reader))
    deadline = time.monotonic() + startup_seconds
    for replica in replicas:
        while not any("Uvicorn running on" in line for line in replica.log):
            if replica.process.poll() is not None or time.monotonic() > deadline:
                for other in replicas:
                    other.stop()
                raise RuntimeError("a replica did not start:\n" + replica.text())
            time.sleep(0.05)
    return replicas


def _drain(process: subprocess.Popen, log: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        log.append(line)
    process.stdout.close()
