"""A cluster on one machine: a PostgreSQL primary, one streaming standby made with
pg_basebackup, API processes that read from the standby (the primary as the fallback) and
nginx in front with the policy of deploy/nginx/proxy.inc (passive health checks, retries,
the GET cache). It uses Debian's PostgreSQL 15 binaries (PG_BIN) and nginx; run as root,
PostgreSQL runs as the `postgres` OS user and nginx's workers as `nobody`. Everything
listens on 127.0.0.1 and lives in one temporary folder, removed at the end.

    scripts/cluster start           # until Ctrl-C; prints the addresses
    scripts/cluster drill           # 30 s of mixed load with faults, then the figures
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import asyncpg

from config.settings import PROJECT_ROOT
from db.release import latest_release

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
PROXY_POLICY = PROJECT_ROOT / "deploy" / "nginx" / "proxy.inc"
SEEDS_DIR = PROJECT_ROOT / "seeds"

# The primary's settings (the standby copies them with pg_basebackup). fsync is off: the
# cluster is thrown away at the end, and it must not wait for this machine's disk.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "wal_level": "replica",
    "max_wal_senders": "5",
    "wal_keep_size": "'256MB'",
    "hot_standby": "on",
    "hot_standby_feedback": "on",
    "fsync": "off",
    "synchronous_commit": "off",
}

NGINX_CONF = """# Written by deploy/cluster.py for one run.
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format cache '$msec $request_method $status $upstream_cache_status $upstream_addr $request_time';
    access_log {dir}/access.log cache buffer=64k flush=1s;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy_temp;
    fastcgi_temp_path {dir}/fastcgi_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=graphql:10m max_size=256m inactive=10m use_temp_path=off;
    upstream api {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;  # below the API's keep-alive (5 s): nginx closes first
    }}
    server {{
        listen 127.0.0.1:{port};
        include {policy};
    }}
}}
"""


class ClusterError(Exception):
    """The cluster could not be started (the message says which part and why)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], seconds: float, what: str, interval: float = 0.1) -> float:
    """Seconds until `check()` holds; ClusterError after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(interval)
    raise ClusterError(f"not within {seconds:g} s: {what}")


def http_status(url: str) -> int | None:
    """The status of GET `url` (a loopback address), None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


async def served_release(url: str) -> tuple[str, str] | None:
    """(version, checksum) of the release the database at `url` serves."""
    connection = await asyncpg.connect(url, timeout=5)
    try:
        release = await latest_release(connection)
    finally:
        await connection.close()
    return (release.version, release.checksum) if release else None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass(frozen=True)
class Server:
    """One PostgreSQL server of the cluster."""

    name: str
    port: int
    data: Path
    log: Path


class Cluster:
    """Start with `start()` (or `with Cluster() as cluster`), stop with `stop()`; the faults
    the drill injects are methods too (kill_api, start_api, stop_server, start_server, seed)."""

    def __init__(
        self, *, apis: int = 2, seeds_dir: Path = SEEDS_DIR, say: Callable[[str], None] = print
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="therapy-cluster-"))
        self.root.chmod(0o755)  # PostgreSQL and nginx's workers run as other users
        self.pg_dir = self.root / "pg"
        self.nginx_dir = self.root / "nginx"
        self.os_user = "postgres" if os.geteuid() == 0 else None
        self.primary = Server("primary", free_port(), self.pg_dir / "primary", self.pg_dir / "primary.log")
        self.standby = Server("standby", free_port(), self.pg_dir / "standby", self.pg_dir / "standby.log")
        self.api_ports = [free_port() for _ in range(apis)]
        self.apis: list[subprocess.Popen[bytes] | None] = [None] * apis
        self.proxy_port = free_port()
        self.nginx: subprocess.Popen[bytes] | None = None
        self.seeds_dir = seeds_dir
        self.say = say

    # -- addresses ------------------------------------------------------------------------

    def owner_url(self, server: Server, database: str = "therapy") -> str:
        return f"postgresql://postgres@127.0.0.1:{server.port}/{database}"

    def reader_url(self, server: Server) -> str:
        return f"postgresql://therapy_reader@127.0.0.1:{server.port}/therapy"

    def api_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.api_ports[index]}"

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    # -- the whole cluster --------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Primary, standby (pg_basebackup), migrations and seed files, API processes, nginx."""
        try:
            self._check_tools()
            started = time.monotonic()
            self._start_primary()
            self._make_standby()
            self._migrate_and_seed()
            for index in range(len(self.apis)):
                self.start_api(index)
            for index in range(len(self.apis)):
                self.wait_api(index)
            self._start_nginx()
            self.say(f"cluster ready in {time.monotonic() - started:.1f} s: {self.describe()}")
        except BaseException:
            self.stop()
            raise

    def describe(self) -> str:
        apis = ", ".join(self.api_url(i) for i in range(len(self.apis)))
        return (
            f"nginx {self.proxy_url}/graphql; API processes {apis}; "
            f"primary {self.owner_url(self.primary)}; standby {self.owner_url(self.standby)}; files {self.root}"
        )

    def stop(self) -> None:
        """Stop everything that runs and remove the folder; safe to call twice."""
        if self.nginx is not None:
            _terminate(self.nginx, signal.SIGQUIT)
            self.nginx = None
        for index in range(len(self.apis)):
            self.stop_api(index)
        for server in (self.standby, self.primary):
            if server.data.exists():
                self.stop_server(server)
        shutil.rmtree(self.root, ignore_errors=True)

    def _check_tools(self) -> None:
        if not (PG_BIN / "pg_ctl").exists():
            raise ClusterError(
                f"no PostgreSQL binaries in {PG_BIN} (apt-get install postgresql-15, or set PG_BIN)"
            )
        if not Path(NGINX).exists():
            raise ClusterError("no nginx (apt-get install nginx, or set NGINX)")
        if self.os_user is not None:
            try:
                pwd.getpwnam(self.os_user)
            except KeyError:
                raise ClusterError(
                    "PostgreSQL does not run as root: create the postgres OS user "
                    "(useradd --system --no-create-home postgres)"
                ) from None

    # -- PostgreSQL ---------------------------------------------------------------------------

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(PG_BIN / program), *args]
        done = subprocess.run(
            command,
            user=self.os_user,
            cwd=self.pg_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and done.returncode != 0:
            raise ClusterError(
                f"{program} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            )
        return done

    def _start_primary(self) -> None:
        self.pg_dir.mkdir()
        if self.os_user is not None:
            shutil.chown(self.pg_dir, self.os_user, self.os_user)
        self._pg(
            "initdb",
            "-D",
            str(self.primary.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        settings = "".join(f"{name} = {value}\n" for name, value in SERVER_SETTINGS.items())
        with (self.primary.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# deploy/cluster.py\n" + settings)
        self.start_server(self.primary)
        asyncio.run(_execute(self.owner_url(self.primary, "postgres"), "CREATE DATABASE therapy"))

    def _make_standby(self) -> None:
        """A base backup of the primary that streams WAL from it through a replication slot."""
        self._pg(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.standby.data), "-R", "-X", "stream", "-C", "-S", "standby_1", "-c", "fast"),
        )
        self.start_server(self.standby)

    def start_server(self, server: Server) -> None:
        options = f"-p {server.port} -k {self.pg_dir}"
        self._pg(
            "pg_ctl", "-D", str(server.data), "-l", str(server.log), "-w", "-t", "60", "-o", options, "start"
        )

    def stop_server(self, server: Server, mode: str = "fast") -> None:
        done = self._pg("pg_ctl", "-D", str(server.data), "-m", mode, "-w", "-t", "60", "stop", check=False)
        if done.returncode != 0 and "not running" not in done.stderr + done.stdout and mode != "immediate":
            self.stop_server(server, "immediate")

    def _api_command(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": self.owner_url(self.primary), "LOG_LEVEL": "warning"}
        command = [sys.executable, "-m", "api", *args]
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise ClusterError(
                f"python -m api {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}"
            )
        return done

    def _migrate_and_seed(self) -> None:
        self._api_command("migrate")
        self._api_command("seed", "--seeds-dir", str(self.seeds_dir))
        primary = asyncio.run(served_release(self.owner_url(self.primary)))
        wait_until(
            lambda: asyncio.run(served_release(self.owner_url(self.standby))) == primary,
            30,
            "the standby replays the seeded release",
        )

    def seed_command(self, seeds_dir: Path) -> tuple[list[str], dict[str, str]]:
        """The command (and environment) that loads `seeds_dir` into the primary."""
        env = {**os.environ, "DATABASE_URL": self.owner_url(self.primary), "LOG_LEVEL": "warning"}
        return [sys.executable, "-m", "api", "seed", "--seeds-dir", str(seeds_dir)], env

    # -- API processes --------------------------------------------------------------------------

    def start_api(self, index: int) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("WORKERS", "READER_DATABASE_URL")},
            "DATABASE_URL": self.owner_url(self.primary),
            "READ_DATABASE_URLS": self.reader_url(self.standby),
            "SEEDS_DIR": str(self.seeds_dir),
            "HOST": "127.0.0.1",
            "PORT": str(self.api_ports[index]),
            "LOG_LEVEL": "warning",
        }
        log = (self.root / f"api-{index + 1}.log").open("ab")
        self.apis[index] = subprocess.Popen(
            # The cluster migrated and seeded the primary once: the API processes only serve.
            [sys.executable, "-m", "api", "serve", "--no-migrate"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the cluster, which stops it in order
        )
        log.close()

    def wait_api(self, index: int, seconds: float = 90) -> float:
        process = self.apis[index]
        assert process is not None

        def ready() -> bool:
            if process.poll() is not None:
                log = _tail(self.root / f"api-{index + 1}.log")
                raise ClusterError(f"API process {index + 1} exited with {process.returncode}:\n{log}")
            return http_status(f"{self.api_url(index)}/readyz") == 200

        return wait_until(ready, seconds, f"API process {index + 1} ready")

    def kill_api(self, index: int) -> None:
        """SIGKILL: the process vanishes with its requests in flight."""
        process = self.apis[index]
        if process is not None:
            process.kill()
            process.wait()

    def stop_api(self, index: int) -> None:
        process = self.apis[index]
        if process is not None:
            _terminate(process, signal.SIGTERM)
            self.apis[index] = None

    # -- nginx --------------------------------------------------------------------------------

    def _start_nginx(self) -> None:
        self.nginx_dir.mkdir()
        user = ""
        if os.geteuid() == 0:  # the master binds and reads as root; workers as nobody
            group = "nogroup" if _group_exists("nogroup") else "nobody"
            user = f"user nobody {group};\n"
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.api_ports
        )
        conf = NGINX_CONF.format(
            user=user, dir=self.nginx_dir, servers=servers, port=self.proxy_port, policy=PROXY_POLICY
        )
        (self.nginx_dir / "nginx.conf").write_text(conf)
        error_log = self.nginx_dir / "error.log"
        command = [
            NGINX,
            "-p",
            str(self.nginx_dir),
            "-c",
            str(self.nginx_dir / "nginx.conf"),
            "-e",
            str(error_log),
        ]
        self.nginx = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )

        def ready() -> bool:
            assert self.nginx is not None
            if self.nginx.poll() is not None:
                raise ClusterError(f"nginx exited with {self.nginx.returncode}:\n{_tail(error_log)}")
            return http_status(f"{self.proxy_url}/readyz") == 200

        wait_until(ready, 30, "nginx answers")

    def access_log(self) -> Path:
        return self.nginx_dir / "access.log"


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _terminate(process: subprocess.Popen[bytes], sig: signal.Signals, seconds: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM ends the command like Ctrl-C, so the cluster is stopped in order."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_start(args: argparse.Namespace) -> int:
    with _stop_on_signals(), Cluster(apis=args.apis) as cluster:
        print(f"serving on {cluster.proxy_url}/graphql; Ctrl-C stops the cluster", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


def cmd_drill(args: argparse.Namespace) -> int:
    from deploy.drill import Drill

    with _stop_on_signals(), Cluster() as cluster:
        report = asyncio.run(Drill(cluster, seconds=args.seconds, clients=args.clients, rate=args.rate).run())
    print(report.text())
    failed = report.failed_checks()
    for check in failed:
        print(f"FAILED: {check}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start the cluster and keep it running until Ctrl-C")
    start.add_argument("--apis", type=int, default=2, help="API processes behind nginx (default 2)")
    start.set_defaults(handler=cmd_start)
    drill = commands.add_parser("drill", help="mixed load with faults; prints the figures")
    drill.add_argument("--seconds", type=float, default=30.0, help="length of the load (10..120, default 30)")
    drill.add_argument("--clients", type=int, default=12, help="concurrent clients (1..64, default 12)")
    drill.add_argument("--rate", type=float, default=150.0, help="requests per second at most (default 150)")
    drill.set_defaults(handler=cmd_drill)
    args = parser.parse_args(argv)
    if args.command == "drill" and not (
        10 <= args.seconds <= 120 and 1 <= args.clients <= 64 and args.rate >= 1
    ):
        parser.error("--seconds must be 10..120, --clients 1..64 and --rate at least 1")
    try:
        code: int = args.handler(args)
    except ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
