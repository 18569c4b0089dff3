"""Reads spread over streaming-replication standbys, with the primary as the fallback.

The API reads through `ReadPools`: one `ReadPool` per database, the standbys of
READ_DATABASE_URLS and the primary (the reader's login on DATABASE_URL). A request reads
from a standby that serves (it answers, holds a data release and is at most READ_MAX_LAG_S
behind; the one with the fewest connections in use) and keeps to it for all its statements
(`OneDatabaseScope`); when no standby serves, it reads from the primary. A
statement whose database goes away under it (or, on a standby, that WAL replay cancels) is
run once more on the next database: reads are idempotent, so losing a standby costs no
answers.

Health has two sources: every statement (a failure marks its database down at once, an
answer marks it up) and a monitor that checks every database every READ_CHECK_INTERVAL_MS:
whether it answers, whether it is a standby, its WAL position, its replication lag, its
migration and the data release it serves. The lag of a standby is measured against the
primary's recent positions: the time since the primary first had WAL the standby has not
replayed (the standby's own estimate, seconds since its last replayed commit, grows with
the primary's idle time, and is only used while the primary does not answer).

The release each database serves is what the GraphQL view derives ETags from
(`release_checksum`, `same_release`): the ETag of an answer is the release of the database
that answered it, checked after the answer, so a lagging standby never sends a new ETag
with old data, nor an old one with new data.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import re
import time
from collections import deque
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg

from db.migrate import head_revision
from db.pool import create_read_pool
from db.readpool import UNAVAILABLE_ERRORS, DatabaseHealth, PoolBusy, ReadPool
from db.release import latest_release
from db.store import Database

logger = logging.getLogger("db.health")

STATEMENTS_FILE = Path(__file__).parent / "sql" / "replicas.sql"
_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def _statements() -> dict[str, str]:
    parts = _NAME.split(STATEMENTS_FILE.read_text())
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


STATEMENTS = _statements()
PRIMARY = "primary"


def moves_elsewhere(error: BaseException) -> bool:
    """Whether a statement that failed so may run again on another database: its database
    went away, or WAL replay on a standby cancelled it. Not a timeout: a statement too slow
    here is as slow elsewhere."""
    if isinstance(error, TimeoutError):
        return False
    return isinstance(error, (*UNAVAILABLE_ERRORS, asyncpg.exceptions.SerializationError))


def parse_lsn(text: str | None) -> int | None:
    """A WAL position, `16/B374D848`, as a byte offset."""
    if not text:
        return None
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def _reason(error: BaseException) -> str:
    first_line = str(error).splitlines()[0][:200] if str(error) else "-"
    return f"{type(error).__name__}: {first_line}"


class NamedHealth(DatabaseHealth):
    """One log line per change, naming the database and where reads go meanwhile."""

    def __init__(self, name: str, meanwhile: str) -> None:
        super().__init__()
        self.name = name
        self.meanwhile = meanwhile

    def failed(self, error: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("database %s unavailable (%s); %s", self.name, _reason(error), self.meanwhile)

    def answered(self) -> None:
        if self.down_since is not None:
            elapsed = time.monotonic() - self.down_since
            logger.warning("database %s available again after %.1f s", self.name, elapsed)
            self.down_since = None


@dataclass
class DatabaseState:
    """What the last check of one database found."""

    checked_at: float | None = None  # time.time() of the check
    answers: bool | None = None  # None: not checked yet
    in_recovery: bool | None = None  # a standby
    lsn: int | None = None  # WAL replayed (standby) or written (primary)
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    migration: str | None = None
    release_version: str | None = None
    release_checksum: str | None = None
    error: str | None = None


class ReadDatabase:
    """One database the API reads from: its pool, its health and its last checked state."""

    def __init__(self, name: str, pool: ReadPool, *, standby: bool) -> None:
        self.name = name
        self.pool = pool
        self.standby = standby  # configured as a read replica (else: the primary)
        self.state = DatabaseState()

    @property
    def down(self) -> bool:
        return self.pool.health.down_since is not None

    def in_use(self) -> int:
        return self.pool.get_size() - self.pool.get_idle_size()

    def serves(self, max_lag_s: float) -> bool:
        """A standby that reads may go to: it answers, serves a data release, and is at
        most `max_lag_s` behind the primary."""
        state = self.state
        return (
            not self.down
            and state.answers is True
            and bool(state.release_checksum)  # it holds a data release
            and (state.lag_seconds or 0.0) <= max_lag_s
        )

    def failed(self, error: BaseException) -> None:
        if isinstance(error, UNAVAILABLE_ERRORS):
            self.pool.health.failed(error)

    async def fetch(self, query: str, args: Sequence[Any], timeout: float | None) -> list[asyncpg.Record]:  # noqa: ASYNC109 - asyncpg's signature
        try:
            async with self.pool.acquire() as connection:
                rows: list[asyncpg.Record] = await connection.fetch(query, *args, timeout=timeout)
        except PoolBusy:
            raise
        except UNAVAILABLE_ERRORS as error:
            self.failed(error)
            raise
        self.pool.health.answered()
        return rows

    async def read_release(self) -> str:
        """The checksum of the release this database serves now ("" before the first seeding)."""
        try:
            async with self.pool.acquire() as connection:
                release = await latest_release(connection)
        except PoolBusy:
            raise
        except UNAVAILABLE_ERRORS as error:
            self.failed(error)
            raise
        self.pool.health.answered()
        self.state.release_version = release.version if release else None
        self.state.release_checksum = release.checksum if release else ""
        return self.state.release_checksum

    def report(self, head_revision: str | None, reading: bool) -> dict[str, Any]:
        """This database's part of /readyz."""
        state = self.state
        role = "unknown" if state.in_recovery is None else ("standby" if state.in_recovery else "primary")
        report: dict[str, Any] = {
            "name": self.name,
            "role": role,
            "state": "down"
            if self.down or state.answers is False
            else ("up" if state.answers else "unknown"),
            "reads": reading,
            "lagSeconds": None if state.lag_seconds is None else round(state.lag_seconds, 3),
            "lagBytes": state.lag_bytes,
            "dataRelease": state.release_version,
            "releaseChecksum": state.release_checksum[:12] if state.release_checksum else None,
            "migrations": None if state.migration is None else state.migration == head_revision,
            "checkedAt": None if state.checked_at is None else round(state.checked_at, 3),
        }
        if state.error:
            report["error"] = state.error
        return report


@dataclass
class ReadRoute:
    """The database one request reads from, and each database that answered it, in order."""

    database: ReadDatabase | None = None
    answered: list[ReadDatabase] = field(default_factory=list)

    def note(self, database: ReadDatabase) -> None:
        if not self.answered or self.answered[-1] is not database:
            self.answered.append(database)


_ROUTE: ContextVar[ReadRoute | None] = ContextVar("read_route", default=None)


class OneDatabaseScope:
    """`with OneDatabaseScope():` reads keep to the first database chosen (unless it goes
    away). A class, not a generator-based context manager: it runs for every request."""

    def __enter__(self) -> ReadRoute:
        route = ReadRoute()
        self._token = _ROUTE.set(route)
        return route

    def __exit__(self, *exc: object) -> None:
        _ROUTE.reset(self._token)


def current_route() -> ReadRoute | None:
    return _ROUTE.get()


class PrimaryPositions:
    """The primary's recent WAL positions, to tell how long ago it had what a standby has not
    replayed yet."""

    def __init__(self, window: int) -> None:
        self.seen: deque[tuple[float, int]] = deque(maxlen=window)

    def add(self, lsn: int) -> None:
        if not self.seen or lsn > self.seen[-1][1]:
            self.seen.append((time.monotonic(), lsn))

    def lag(self, standby_lsn: int) -> float:
        """Seconds since the primary first had WAL beyond `standby_lsn` (0: none)."""
        for seen_at, lsn in self.seen:
            if lsn > standby_lsn:
                return time.monotonic() - seen_at
        return 0.0


class ReadPools:
    """The API's reads over the primary and its standbys; quacks like an asyncpg pool
    (`acquire`, `fetch`, `fetchrow`, `fetchval`, `execute`, `close`)."""

    def __init__(
        self, databases: Sequence[ReadDatabase], *, max_lag_s: float, check_interval_s: float
    ) -> None:
        self.databases = list(databases)
        self.standbys = [d for d in databases if d.standby]
        self.primary = next(d for d in databases if not d.standby)
        self.max_lag_s = max_lag_s
        self.check_interval_s = check_interval_s
        self.positions = PrimaryPositions(window=math.ceil(max_lag_s / check_interval_s) + 2)
        self.head_revision: str | None = None
        self._turn = itertools.count()
        self._monitors: list[asyncio.Task[None]] = []

    @classmethod
    async def open(
        cls,
        primary_url: str,
        read_urls: Sequence[str] = (),
        *,
        max_lag_s: float = 30.0,
        check_interval_s: float = 0.5,
        **pool_options: Any,
    ) -> ReadPools:
        """Open every pool, check every database once and start the monitor. A standby that
        does not answer yet is opened without connections (its pool connects on demand)."""
        primary = await create_read_pool(primary_url, **pool_options)
        databases: list[ReadDatabase] = []  # the standbys, then the primary: the order reads prefer
        try:
            for number, url in enumerate(read_urls, start=1):
                standby = ReadDatabase(
                    f"replica-{number}", await _standby_pool(url, pool_options), standby=True
                )
                standby.pool.health = NamedHealth(standby.name, "reading from the other databases")
                databases.append(standby)
        except BaseException:
            await asyncio.gather(primary.close(), *(d.pool.close() for d in databases))
            raise
        if read_urls:
            primary.health = NamedHealth(PRIMARY, "answering 503 while no standby serves")
        databases.append(ReadDatabase(PRIMARY, primary, standby=False))
        pools = cls(databases, max_lag_s=max_lag_s, check_interval_s=check_interval_s)
        pools.head_revision = head_revision()
        await pools.check()
        pools._monitors = [
            asyncio.create_task(pools._watch(d), name=f"check database {d.name}") for d in pools.databases
        ]
        return pools

    # -- choosing a database ------------------------------------------------------------

    def choose(self, avoid: ReadDatabase | None = None) -> ReadDatabase:
        """The database this request reads from (kept for the rest of the request)."""
        route = _ROUTE.get()
        pinned = route.database if route is not None else None
        if (
            pinned is not None
            and pinned is not avoid
            and (not pinned.standby or pinned.serves(self.max_lag_s))
        ):
            return pinned
        database = self._pick(avoid)
        if route is not None:
            route.database = database
        return database

    def _pick(self, avoid: ReadDatabase | None) -> ReadDatabase:
        serving = [d for d in self.standbys if d is not avoid and d.serves(self.max_lag_s)]
        if serving:
            return self._least_busy(serving)
        if avoid is not self.primary and not self.primary.down:
            return self.primary
        # The primary is away too: a lagging standby's answer beats none.
        answering = [d for d in self.standbys if d is not avoid and not d.down]
        return self._least_busy(answering) if answering else self.primary

    def _least_busy(self, databases: list[ReadDatabase]) -> ReadDatabase:
        if len(databases) == 1:
            return databases[0]
        start = next(self._turn) % len(databases)  # ties go round
        return min(databases[start:] + databases[:start], key=ReadDatabase.in_use)

    def answered(self, database: ReadDatabase) -> None:
        if (route := _ROUTE.get()) is not None:
            route.note(database)

    # -- the asyncpg pool's interface ---------------------------------------------------

    def acquire(self, *, timeout: float | None = None) -> RoutedAcquire:
        return RoutedAcquire(self, timeout)

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list[asyncpg.Record]:  # noqa: ASYNC109
        async with self.acquire() as connection:
            return await connection.fetch(query, *args, timeout=timeout)

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None) -> asyncpg.Record | None:  # noqa: ASYNC109
        rows = await self.fetch(query, *args, timeout=timeout)
        return rows[0] if rows else None

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        row = await self.fetchrow(query, *args, timeout=timeout)
        return None if row is None else row[column]

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109
        async with self.acquire() as connection:
            status: str = await connection.execute(query, *args, timeout=timeout)
            return status

    async def fetch_elsewhere(
        self,
        failed: ReadDatabase,
        error: BaseException,
        query: str,
        args: Sequence[Any],
        timeout: float | None,  # noqa: ASYNC109
    ) -> tuple[list[asyncpg.Record], ReadDatabase]:
        """Run a statement that `failed` could not answer on the next database, or re-raise."""
        failed.failed(error)
        database = self.choose(avoid=failed)
        if database is failed:
            raise error
        rows = await database.fetch(query, args, timeout)
        self.answered(database)
        return rows, database

    async def close(self) -> None:
        for monitor in self._monitors:
            monitor.cancel()
        await asyncio.gather(*self._monitors, return_exceptions=True)
        await asyncio.gather(*(d.pool.close() for d in self.databases))

    # -- releases, for ETags --------------------------------------------------------------

    async def release_checksum(self, *, fresh: bool) -> str:
        """The release of the database this request reads from: as last seen, or read now."""
        database = self.choose()
        if not fresh and database.state.release_checksum is not None:
            return database.state.release_checksum
        try:
            return await database.read_release()
        except PoolBusy:
            raise
        except UNAVAILABLE_ERRORS:
            fallback = self.choose(avoid=database)
            if fallback is database:
                raise
            return await fallback.read_release()

    async def same_release(self, checksum: str) -> bool:
        """Whether every database that answered this request serves release `checksum` now.
        Read after the answer, on top of `checksum` read before it, this proves the answer
        is of that release: a database's state only moves forward (a release replaced and
        served again by a rollback while one request was answered is not told apart)."""
        route = _ROUTE.get()
        if route is None:
            return False
        for database in dict.fromkeys(route.answered):
            if await database.read_release() != checksum:
                return False
        return True

    # -- the monitor ------------------------------------------------------------------------

    async def _watch(self, database: ReadDatabase) -> None:
        """Check one database every interval (each on its own: one that hangs delays no other)."""
        while True:
            await asyncio.sleep(self.check_interval_s)
            try:
                await self._check(database)
                self._update_lag(database)
            except Exception:
                logger.exception("checking database %s failed", database.name)

    async def check(self) -> None:
        """Check every database once, then work out each standby's lag."""
        await asyncio.gather(*(self._check(d) for d in self.databases))
        for database in [self.primary, *self.standbys]:
            self._update_lag(database)

    def _update_lag(self, database: ReadDatabase) -> None:
        primary = self.primary.state
        if not (primary.answers and primary.in_recovery is False and primary.lsn is not None):
            return  # the standby's own estimate stands
        if database is self.primary:
            self.positions.add(primary.lsn)
            return
        state = database.state
        if state.answers and state.in_recovery and state.lsn is not None:
            state.lag_seconds = self.positions.lag(state.lsn)
            state.lag_bytes = max(0, primary.lsn - state.lsn)

    async def _check(self, database: ReadDatabase) -> None:
        try:
            async with database.pool.acquire(timeout=max(self.check_interval_s, 1.0)) as connection:
                state = await _state(connection)
        except PoolBusy as busy:
            if database.in_use() >= database.pool.get_max_size():
                return  # every connection is answering requests: it is up
            error: BaseException = TimeoutError(str(busy))  # connecting took too long
            database.failed(error)
            database.state = DatabaseState(checked_at=time.time(), answers=False, error=_reason(error))
            return
        except UNAVAILABLE_ERRORS as error:
            database.failed(error)
            database.state = DatabaseState(checked_at=time.time(), answers=False, error=_reason(error))
            return
        except asyncpg.PostgresError as error:  # e.g. not migrated yet
            database.state = DatabaseState(checked_at=time.time(), answers=True, error=_reason(error))
            return
        database.state = state
        database.pool.health.answered()

    # -- /readyz ------------------------------------------------------------------------

    def report(self) -> list[dict[str, Any]]:
        reading = self._pick(None)
        return [d.report(self.head_revision, d is reading) for d in self.databases]


async def _state(connection: Database) -> DatabaseState:
    row = await connection.fetchrow(STATEMENTS["database_state"])
    assert row is not None
    state = DatabaseState(
        checked_at=time.time(),
        answers=True,
        in_recovery=row["in_recovery"],
        lsn=parse_lsn(row["lsn"]),
        lag_seconds=row["lag_seconds"],
        lag_bytes=0 if not row["in_recovery"] else None,
    )
    state.migration = await connection.fetchval(STATEMENTS["migration"])
    release = await latest_release(connection)
    state.release_version = release.version if release else None
    state.release_checksum = release.checksum if release else ""
    return state


async def _standby_pool(url: str, pool_options: dict[str, Any]) -> ReadPool:
    try:
        return await create_read_pool(url, **pool_options)
    except UNAVAILABLE_ERRORS as error:
        logger.warning(
            "read database %s does not answer yet (%s); reading elsewhere", _host(url), _reason(error)
        )
    return await create_read_pool(url, **{**pool_options, "min_size": 0})


def _host(url: str) -> str:
    return url.rpartition("@")[2].split("/")[0] or url


class RoutedAcquire:
    """`async with pools.acquire() as connection`: a connection of the chosen database (the
    next one when it cannot connect), whose statements move on when it goes away."""

    def __init__(self, pools: ReadPools, timeout: float | None) -> None:
        self.pools = pools
        self.timeout = timeout
        self._held: tuple[ReadDatabase, Any, RoutedConnection] | None = None

    async def __aenter__(self) -> RoutedConnection:
        database = self.pools.choose()
        try:
            return await self._enter(database)
        except PoolBusy:
            raise
        except UNAVAILABLE_ERRORS as error:
            database.failed(error)
            fallback = self.pools.choose(avoid=database)
            if fallback is database:
                raise
            return await self._enter(fallback)

    async def _enter(self, database: ReadDatabase) -> RoutedConnection:
        acquiring = database.pool.acquire(timeout=self.timeout)
        routed = RoutedConnection(self.pools, database, await acquiring.__aenter__())
        self._held = (database, acquiring, routed)
        return routed

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._held is not None
        database, acquiring, routed = self._held
        if error is not None and routed.database is database:  # not a failure of the next database
            database.failed(error)
        await acquiring.__aexit__(kind, error, trace)


class RoutedConnection:
    """A pooled connection whose `fetch`, `fetchrow` and `fetchval` run on the next database
    when this one goes away; anything else is the connection's own."""

    def __init__(self, pools: ReadPools, database: ReadDatabase, connection: Any) -> None:
        self.pools = pools
        self.database = database
        self.connection = connection

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list[asyncpg.Record]:  # noqa: ASYNC109
        try:
            rows: list[asyncpg.Record] = await self.connection.fetch(query, *args, timeout=timeout)
        except Exception as error:
            if not moves_elsewhere(error):
                raise
            rows, self.database = await self.pools.fetch_elsewhere(self.database, error, query, args, timeout)
            return rows
        self.database.pool.health.answered()
        self.pools.answered(self.database)
        return rows

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None) -> asyncpg.Record | None:  # noqa: ASYNC109
        rows = await self.fetch(query, *args, timeout=timeout)
        return rows[0] if rows else None

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        row = await self.fetchrow(query, *args, timeout=timeout)
        return None if row is None else row[column]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


async def connection_limit(url: str) -> int:
    """How many connections roles without superuser rights may open on the server at `url`."""
    connection = await asyncpg.connect(url, timeout=10)
    try:
        limit: int = await connection.fetchval(STATEMENTS["connection_limit"])
    finally:
        await connection.close()
    return limit
