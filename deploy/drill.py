"""The fault drill: a mixed load through nginx (POST lookups and nested queries, a repeated
GET query and varied GET queries) for `seconds` while, on a schedule: one API process is
killed (SIGKILL) and later started again; the primary is seeded with changed data; the
standby is stopped and later started again. Every answer is recorded (when it was sent and
answered, its status, the data release it carries, the database that answered, nginx's
cache status, its ETag), and `DrillReport` turns them into the figures:

- failed client requests while an API process is killed (must be 0);
- how soon reads fall back to the primary once the standby stops (at most 1 s), and the
  failures then (no more than the requests in flight);
- how soon the standby serves a new release (within a few seconds of the primary), and
  whether a cached GET answer was served past the release change (at most SHARED_MAX_AGE
  after it) or an ETag named two releases;
- the proxy cache's hit ratio for the repeated GET query.

Only loopback addresses are loaded; every loop is bounded by the drill's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import asyncpg
import orjson

from db.release import latest_release
from deploy.cluster import Cluster

SHARED_MAX_AGE_S = 1.0  # the API's default s-maxage (SHARED_MAX_AGE)
NEW_VERSION = "2099.1.0"
CHANGED_DEVELOPER = "Genentech (Roche) [cluster drill]"

LOOKUP = """query Lookup($name: String!) { dataRelease { version }
  agent(name: $name) { name modality targets { symbol } } }"""
NESTED = """query Nested { dataRelease { version } agents(first: 20) { nodes { name
  trials { acronym outcomes { slug analysis hazardRatio armResults { median rate } } } } } }"""
REPEATED = '{ dataRelease { version } agent(name: "trastuzumab") { name developer } }'
VARIED = '{{ dataRelease {{ version }} trial(acronym: "{acronym}") {{ nctId phase }} }}'
NAMES = ["Enhertu", "Herceptin", "Perjeta", "Kadcyla", "Tukysa", "Nerlynx", "Yescarta", "Kymriah"]
ACRONYMS = ["CLEOPATRA", "EMILIA", "DESTINY-Breast03", "KATHERINE", "MARIANNE", "ZUMA-7", "TRANSFORM"]
# Of every 7 requests: 2 lookups, 1 nested, 3 repeated GETs, 1 varied GET.
MIX = ["lookup", "repeated", "nested", "repeated", "lookup", "varied", "repeated"]
POSTS = ("lookup", "nested")
MAX_EXTRA_S = 120.0  # how much longer than planned the load may run when faults take longer

# When each fault happens: a share of the drill's length, and at least so many seconds after
# the fault before it is over (each phase needs time under load to be measured).
SCHEDULE = {
    "kill": (0.10, 0.0),
    "restart": (0.25, 3.0),
    "seed": (0.40, 2.0),
    "stop standby": (0.70, 3.0),
    "start standby": (0.87, 4.0),
}


def changed_seeds(source: Path, target: Path, version: str, developer: str) -> Path:
    """A copy of the seed files as another release: its version and one agent's developer changed."""
    shutil.copytree(source, target)
    release = target / "release.yaml"
    text = release.read_text()
    release.write_text(text.replace(text.split('version: "')[1].split('"')[0], version, 1))
    agents = target / "her2" / "agents.yaml"
    agents.write_text(
        agents.read_text().replace('developer: "Genentech (Roche)"', f'developer: "{developer}"', 1)
    )
    return target


@dataclass
class Answer:
    kind: str
    sent: float  # seconds since the load started
    done: float
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    ok: bool
    release: str | None = None
    database: str | None = None
    cache: str | None = None
    etag: str | None = None


class Connection:
    """One keep-alive HTTP/1.1 connection; just enough of the protocol for the load."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {target} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
        if method == "POST":
            head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if headers.get("transfer-encoding", "").lower() == "chunked":
            payload = await self._chunks()
        else:
            payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, payload

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


def _release_of(payload: bytes) -> str | None:
    try:
        return str(orjson.loads(payload)["data"]["dataRelease"]["version"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None


class Drill:
    """`seconds` of load at `rate` requests per second over `clients` connections (each client
    waits for its answer, so the rate is a ceiling), with the faults of SCHEDULE. Should a
    fault take longer than planned, the load goes on until 2 s after the last one (at most
    MAX_EXTRA_S more)."""

    def __init__(
        self, cluster: Cluster, *, seconds: float = 30.0, clients: int = 12, rate: float = 150.0
    ) -> None:
        self.cluster = cluster
        self.seconds = seconds
        self.until = seconds + MAX_EXTRA_S  # until the faults are over (then 2 s more)
        self.clients = clients
        self.rate = rate
        self.answers: list[Answer] = []
        self.events: dict[str, float] = {}
        self.started = 0.0
        self.old_release = ""
        self.seed_output = ""

    def now(self) -> float:
        return time.monotonic() - self.started

    async def run(self) -> DrillReport:
        self.old_release = (await _release(self.cluster.owner_url(self.cluster.primary)))[0]
        with tempfile.TemporaryDirectory(prefix="drill-seeds-") as folder:
            seeds = changed_seeds(
                self.cluster.seeds_dir, Path(folder) / "seeds", NEW_VERSION, CHANGED_DEVELOPER
            )
            self.started = time.monotonic()
            load = [asyncio.create_task(self.client(i)) for i in range(self.clients)]
            try:
                await self.faults(seeds)
            finally:
                self.until = min(max(self.seconds, self.now() + 2.0), self.until)
                await asyncio.gather(*load)
        return DrillReport(self)

    # -- the load -------------------------------------------------------------------------------

    async def client(self, index: int) -> None:
        parts = urlsplit(self.cluster.proxy_url)
        connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
        turn = index
        interval = self.clients / self.rate
        next_at = index * interval / self.clients
        while self.now() < self.until:
            await asyncio.sleep(max(0.0, next_at - self.now()))
            next_at = max(next_at + interval, self.now())  # behind: go on at once, don't burst
            kind = MIX[turn % len(MIX)]
            method, target, body = _request(kind, turn)
            turn += 1
            sent = self.now()
            try:
                status, headers, payload = await asyncio.wait_for(
                    connection.request(method, target, body), 15
                )
            except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                connection.close()
                self.answers.append(Answer(kind, sent, self.now(), 0, False))
                continue
            release = _release_of(payload) if status == 200 else None
            ok = status == 200 and release is not None and b'"errors"' not in payload
            self.answers.append(
                Answer(
                    kind,
                    sent,
                    self.now(),
                    status,
                    ok,
                    release,
                    headers.get("x-database"),
                    headers.get("x-cache-status"),
                    headers.get("etag"),
                )
            )
        connection.close()

    # -- the faults -----------------------------------------------------------------------------

    async def at(self, fault: str) -> None:
        """Wait for the time SCHEDULE gives `fault`, then note it."""
        share, gap = SCHEDULE[fault]
        await asyncio.sleep(max(0.0, share * self.seconds - self.now(), self.last_event + gap - self.now()))
        self.events[fault] = self.now()

    @property
    def last_event(self) -> float:
        return max(self.events.values(), default=0.0)

    async def faults(self, seeds: Path) -> None:
        cluster = self.cluster
        await self.at("kill")
        cluster.kill_api(0)
        await self.at("restart")
        restart = asyncio.create_task(self.restart_api(0))
        await self.at("seed")
        await self.reseed(seeds)
        await self.at("stop standby")
        await asyncio.to_thread(cluster.stop_server, cluster.standby)
        self.events["standby stopped"] = self.now()
        await self.at("start standby")
        await asyncio.to_thread(cluster.start_server, cluster.standby)
        self.events["standby started"] = self.now()
        await restart

    async def restart_api(self, index: int) -> None:
        self.cluster.start_api(index)
        await asyncio.to_thread(self.cluster.wait_api, index)
        self.events["restarted"] = self.now()

    async def reseed(self, seeds: Path) -> None:
        """Seed the primary with the changed files; note when each database serves them."""
        command, env = self.cluster.seed_command(seeds)
        watching = asyncio.create_task(self.watch_release())
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        self.seed_output = output.decode(errors="replace").strip()
        self.events["seeded"] = self.now()
        if process.returncode != 0:
            watching.cancel()
            self.seed_output = f"seeding failed ({process.returncode}): {self.seed_output[-2000:]}"
        with contextlib.suppress(asyncio.CancelledError):
            await watching

    async def watch_release(self) -> None:
        """Poll the primary and the standby every 20 ms for the new release (until 30 s after
        the seeding ended)."""
        cluster = self.cluster
        servers = {"primary": cluster.primary, "standby": cluster.standby}
        connections = {
            name: await asyncpg.connect(cluster.owner_url(s), timeout=5) for name, s in servers.items()
        }
        try:
            while not {"primary new", "standby new"} <= self.events.keys():
                if self.now() > self.events.get("seeded", 1e9) + 30:
                    break
                for name, connection in connections.items():
                    release = await latest_release(connection)
                    if release is not None and release.version == NEW_VERSION:
                        self.events.setdefault(f"{name} new", self.now())
                await asyncio.sleep(0.02)
        finally:
            for connection in connections.values():
                await connection.close()


def _request(kind: str, turn: int) -> tuple[str, str, bytes]:
    if kind == "lookup":
        body = {"query": LOOKUP, "variables": {"name": NAMES[turn % len(NAMES)]}}
        return "POST", "/graphql", orjson.dumps(body)
    if kind == "nested":
        return "POST", "/graphql", orjson.dumps({"query": NESTED})
    query = REPEATED if kind == "repeated" else VARIED.format(acronym=ACRONYMS[turn % len(ACRONYMS)])
    return "GET", "/graphql?" + urlencode({"query": query}), b""


async def _release(url: str) -> tuple[str, str]:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        release = await latest_release(connection)
    finally:
        await connection.close()
    assert release is not None
    return release.version, release.checksum


@dataclass
class DrillReport:
    """The figures of one drill, computed from its answers and events."""

    drill: Drill

    def __post_init__(self) -> None:
        self.answers = self.drill.answers
        self.events = self.drill.events

    def failed_in(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if not a.ok and start <= a.done < end]

    def answered(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.done < end]

    # -- the figures ----------------------------------------------------------------------------

    def totals(self) -> dict[str, object]:
        latencies = sorted(a.done - a.sent for a in self.answers if a.ok)
        failed = [a for a in self.answers if not a.ok]
        return {
            "requests": len(self.answers),
            "seconds": round(self.drill.until, 1),
            "per_second": round(len(self.answers) / self.drill.until, 1),
            "failed": len(failed),
            "statuses": dict(Counter(a.status for a in self.answers)),
            "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        }

    def kill(self) -> dict[str, object]:
        start, end = self.events["kill"], self.events.get("seed", self.drill.until)
        return {
            "requests": len(self.answered(start, end)),
            "failed": len(self.failed_in(start, end)),
            "restart_ready_after_s": round(self.events["restarted"] - self.events["restart"], 2)
            if "restarted" in self.events
            else None,
        }

    def standby_stop(self) -> dict[str, object]:
        stop = self.events["stop standby"]
        end = self.events.get("start standby", self.drill.until)
        in_flight = [a for a in self.answers if a.sent < stop < a.done]
        after = [a for a in self.answers if a.kind in POSTS and a.ok and a.sent >= stop and a.done < end]
        by_primary = [a.done for a in after if a.database == "primary"]
        by_standby = [a.done for a in after if a.database == "replica-1"]
        back = [
            a.done
            for a in self.answers
            if a.kind in POSTS
            and a.ok
            and a.database == "replica-1"
            and a.sent >= self.events.get("standby started", 1e9)
        ]
        return {
            "in_flight": len(in_flight),
            "failed": len(self.failed_in(stop, end)),
            "fallback_s": round(min(by_primary) - stop, 3) if by_primary else None,
            "last_standby_answer_s": round(max(by_standby) - stop, 3) if by_standby else None,
            "stopped_in_s": round(self.events["standby stopped"] - stop, 2),
            "back_on_standby_s": round(min(back) - self.events["standby started"], 2) if back else None,
        }

    def release_change(self) -> dict[str, object]:
        new = NEW_VERSION
        primary, standby = self.events.get("primary new"), self.events.get("standby new")
        api_new = [a.done for a in self.answers if a.kind in POSTS and a.release == new]
        repeated = [a for a in self.answers if a.kind == "repeated" and a.ok]
        old_after = [a for a in repeated if a.release != new and standby is not None and a.sent > standby]
        old_etags = {a.etag for a in repeated if a.release != new and a.etag}
        new_etags = {a.etag for a in repeated if a.release == new and a.etag}
        seed, stop = self.events["seed"], self.events.get("stop standby", self.drill.until)
        return {
            "seed_s": round(self.events["seeded"] - seed, 2),
            # (the databases are polled every 20 ms: an answer may come before the poll sees it)
            "standby_after_primary_s": round(max(0.0, standby - primary), 3) if primary and standby else None,
            "api_first_new_after_primary_s": round(max(0.0, min(api_new) - primary), 3)
            if api_new and primary
            else None,
            "cached_old_answers_after_change": len(old_after),
            "cached_old_served_for_s": round(max(a.sent for a in old_after) - standby, 3)
            if old_after and standby
            else 0.0,
            "etags_naming_both_releases": len(old_etags & new_etags),
            "failed": len(self.failed_in(seed, stop)),
            "slowest_answer_s": round(
                max((a.done - a.sent for a in self.answered(seed, stop)), default=0.0), 2
            ),
        }

    def cache(self) -> dict[str, object]:
        statuses = Counter(a.cache or "-" for a in self.answers if a.kind == "repeated" and a.ok)
        total = sum(statuses.values())
        return {
            "repeated_gets": total,
            "statuses": dict(statuses),
            "hit_ratio": round(statuses["HIT"] / total, 3) if total else None,
        }

    def figures(self) -> dict[str, dict[str, object]]:
        return {
            "load": self.totals(),
            "kill one API process": self.kill(),
            "re-seed the primary": self.release_change(),
            "stop the standby": self.standby_stop(),
            "proxy cache (repeated GET)": self.cache(),
        }

    def failed_checks(self) -> list[str]:
        figures = self.figures()
        kill, seed, stop, cache = (
            figures["kill one API process"],
            figures["re-seed the primary"],
            figures["stop the standby"],
            figures["proxy cache (repeated GET)"],
        )
        checks = {
            "killing an API process fails no request": kill["failed"] == 0,
            "reads fall back to the primary within 1 s": _at_most(stop["fallback_s"], 1.0),
            "failures when the standby stops <= requests in flight": _at_most(
                stop["failed"], stop["in_flight"]
            ),
            "the standby serves the new release within 5 s": _at_most(seed["standby_after_primary_s"], 5.0),
            "no cached GET past the release change (beyond s-maxage)": _at_most(
                seed["cached_old_served_for_s"], SHARED_MAX_AGE_S + 0.5
            ),
            "no ETag names two releases": seed["etags_naming_both_releases"] == 0,
            "the repeated GET is mostly served from the cache": _at_least(cache["hit_ratio"], 0.5),
            "reads go back to the standby when it is back": stop["back_on_standby_s"] is not None,
        }
        return [name for name, passed in checks.items() if not passed]

    def text(self) -> str:
        drill = self.drill
        lines = [
            f"cluster drill: {drill.seconds:g} s of mixed load, {drill.clients} clients, at most "
            f"{drill.rate:g} requests/s, loopback through nginx"
        ]
        events = ", ".join(f"{name} {t:.2f}" for name, t in sorted(self.events.items(), key=lambda e: e[1]))
        lines.append(f"  events (s): {events}")
        for title, figures in self.figures().items():
            lines.append(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
        if drill.seed_output:
            lines.append(f"  seeding said: {drill.seed_output.splitlines()[-1][:300]}")
        return "\n".join(lines)


def _at_most(value: object, bound: object) -> bool:
    return isinstance(value, int | float) and isinstance(bound, int | float) and value <= bound


def _at_least(value: object, bound: float) -> bool:
    return isinstance(value, int | float) and value >= bound
