"""The read pool's own bounds and state: a bounded wait queue and one log line per outage.

`ReadPool` is asyncpg's pool with a bound on the requests waiting for a connection: past
`max_waiting` waiters, or after `acquire_timeout` seconds of waiting, `acquire` raises
`PoolBusy` at once instead of queueing. `DatabaseHealth` remembers whether the database
answered last time and logs one line when that changes, not one traceback per request.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import Any

import asyncpg
from asyncpg.pool import _PoolConnectionHolderQueue  # type: ignore[attr-defined]

logger = logging.getLogger("db.health")

# What a stopped, restarting or unreachable database raises on the way to a query.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


class _QuietFloorRetries(logging.Filter):
    """asyncpg logs a traceback each time it fails to reconnect its minimum connections; during
    an outage that is a traceback every few seconds. DatabaseHealth says it once instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            str(record.msg).startswith("Failed to restore the pool connection floor")
            and isinstance(error, UNAVAILABLE_ERRORS)
        )


_QUIET_FLOOR_RETRIES = _QuietFloorRetries()


async def keep_session(connection: asyncpg.Connection) -> None:
    """The read pool's reset: nothing to undo. The read path only runs single SELECT
    statements, never SET, LISTEN or session-level state, so asyncpg's default reset (RESET
    ALL, UNLISTEN *, ...) would be one wasted statement per request."""


class PoolBusy(Exception):
    """Every connection is in use and enough requests already wait for one: shed this one."""


class DatabaseHealth:
    """Up or down, as the last statement found it; logs each change once."""

    def __init__(self) -> None:
        self.down_since: float | None = None

    def failed(self, error: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning(
                "database unavailable (%s: %s); answering 503 until it is back",
                type(error).__name__,
                str(error).splitlines()[0][:200] if str(error) else "-",
            )

    def answered(self) -> None:
        if self.down_since is not None:
            logger.warning("database available again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None


def _handed_over(waiter: asyncio.Future[Any]) -> bool:
    return waiter.done() and not waiter.cancelled() and waiter.exception() is None


def _expire(waiter: asyncio.Future[Any], wait: float) -> None:
    if not waiter.done():
        waiter.set_exception(PoolBusy(f"no database connection became free within {wait} s"))


class FairHolderQueue(_PoolConnectionHolderQueue):  # type: ignore[misc]
    """asyncpg's queue of free connections, handing each freed connection to the request that
    has waited longest. asyncio.Queue wakes a waiter and leaves the connection in the queue until
    it runs: a request arriving in between takes it, and the woken one queues again at the end,
    so under load a few requests wait many turns (on 2 cores with 4 connections, p99 of a small
    query went from about 7 ms to 50-120 ms). Here a connection stays in the queue only while
    nobody waits, so a new request takes one only when no other waits for it."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.waiters: collections.deque[asyncio.Future[Any]] = collections.deque()

    def put_nowait(self, item: Any) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():  # not timed out or cancelled
                waiter.set_result(item)
                return
        super().put_nowait(item)

    async def take(self, wait: float | None) -> Any:
        """A free connection, waiting at most `wait` seconds (None: no bound), else PoolBusy."""
        if not self.empty():
            return self.get_nowait()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self.waiters.append(waiter)
        handle = None if wait is None else loop.call_later(wait, _expire, waiter, wait)
        try:
            return await waiter
        except asyncio.CancelledError:
            if _handed_over(waiter):
                self.put_nowait(waiter.result())  # handed over as the request was cancelled: pass it on
            raise
        finally:
            if handle is not None:
                handle.cancel()
            if not _handed_over(waiter):  # expired or cancelled: out of the line at once
                with contextlib.suppress(ValueError):  # unless a release passed over it already
                    self.waiters.remove(waiter)


class ReadPool(asyncpg.Pool):
    """asyncpg's pool with a bounded wait for a connection and the database's health."""

    _queue: Any  # asyncpg's queue of free connections, a FairHolderQueue once initialised

    def __init__(
        self, dsn: str, *, max_waiting: int | None, acquire_timeout: float | None, **kwargs: Any
    ) -> None:
        # asyncpg.create_pool's defaults, which Pool itself requires explicitly.
        defaults = {
            "max_queries": 50_000,
            "max_inactive_connection_lifetime": 300.0,
            "loop": None,
            "connection_class": asyncpg.Connection,
            "record_class": asyncpg.Record,
        }
        super().__init__(dsn, **{**defaults, **kwargs})
        self.max_waiting = max_waiting
        self.acquire_timeout = acquire_timeout
        self.waiting = 0
        self.health = DatabaseHealth()
        asyncpg_logger = logging.getLogger("asyncpg.pool")
        if _QUIET_FLOOR_RETRIES not in asyncpg_logger.filters:
            asyncpg_logger.addFilter(_QUIET_FLOOR_RETRIES)

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 - asyncpg's signature
        """asyncpg's own `_acquire`, with the wait for a free connection bounded in waiters and
        in time (None: unbounded). Only that wait is timed: a connection being opened is never
        cancelled halfway."""
        if self._closing:  # type: ignore[attr-defined]
            raise asyncpg.InterfaceError("pool is closing")
        self._check_init()  # type: ignore[attr-defined]
        queue: FairHolderQueue = self._queue
        if queue.empty() and self.max_waiting is not None and self.waiting >= self.max_waiting:
            raise PoolBusy(f"{self.waiting} requests already wait for a database connection")
        holder = await self._wait_for_free(queue, timeout)
        try:
            proxy = await holder.acquire()
        except (Exception, asyncio.CancelledError):
            queue.put_nowait(holder)
            self._schedule_min_size_maintenance()  # type: ignore[attr-defined]
            raise
        holder._timeout = timeout  # asyncpg applies it to the release, as its own _acquire does
        return proxy

    async def _initialize(self) -> None:
        await super()._initialize()  # type: ignore[misc]
        fair = FairHolderQueue(maxsize=self._queue.maxsize)
        fair._queue.extend(self._queue._queue)  # the same connections in the same order
        self._queue = fair

    async def _wait_for_free(self, queue: FairHolderQueue, timeout: float | None) -> Any:  # noqa: ASYNC109
        if not queue.empty():
            return queue.get_nowait()  # a free connection: no wait to bound
        bounds = [t for t in (self.acquire_timeout, timeout) if t is not None]
        self.waiting += 1
        try:
            return await queue.take(min(bounds) if bounds else None)
        finally:
            self.waiting -= 1

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """asyncpg's `release`, done at once when the connection has nothing to undo (the read
        path leaves no session state: `keep_session`). asyncpg's own release runs in a task of
        its own (to survive cancellation) and costs a task, a timeout and event-loop turns per
        request; the quick one is done before its first await, so it cannot be cancelled
        halfway. Anything unusual takes asyncpg's."""
        holder: Any = getattr(connection, "_holder", None)
        con: Any = getattr(connection, "_con", None)
        if holder is None or con is None or holder._pool is not self or not self._quick_release(holder, con):
            await super().release(connection, timeout=timeout)
            return
        con._on_release()
        holder._timeout = None
        con._listeners.clear()  # as asyncpg's Connection._reset
        con._log_listeners.clear()
        holder._release()  # to the request waiting longest, or back in the queue (FairHolderQueue)
        holder._setup_inactive_callback()

    def _quick_release(self, holder: Any, con: Any) -> bool:
        protocol = con._protocol
        return bool(
            self._reset is keep_session  # type: ignore[attr-defined]
            and not con.is_closed()
            and protocol.queries_count < holder._max_queries
            and holder._generation == self._generation  # type: ignore[attr-defined]
            and not protocol._is_cancelling()
            and not protocol.is_in_transaction()
            and con._top_xact is None
        )
