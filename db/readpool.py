"""The read pool's own bounds and state: a bounded wait queue and one log line per outage.

`ReadPool` is asyncpg's pool with a bound on the requests waiting for a connection: past
`max_waiting` waiters, or after `acquire_timeout` seconds of waiting, `acquire` raises
`PoolBusy` at once instead of queueing. `DatabaseHealth` remembers whether the database
answered last time and logs one line when that changes, not one traceback per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg

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


async def _get_within(queue: asyncio.LifoQueue[Any], wait: float) -> Any:
    """`queue.get()` within `wait` seconds, else PoolBusy: asyncio.timeout's cancellation with
    one timer handle and no Timeout object (half its cost), as every request that waits for a
    connection runs it. A connection handed over as the wait expires stays in the queue
    (asyncio.Queue.get leaves it there when cancelled)."""
    task = asyncio.current_task()
    assert task is not None
    cancelling = task.cancelling()  # cancellations asked before: not ours to absorb
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(wait, expire)
    try:
        return await queue.get()
    except asyncio.CancelledError:
        if expired and task.uncancel() <= cancelling:
            raise PoolBusy(f"no database connection became free within {wait} s") from None
        raise
    finally:
        handle.cancel()


class ReadPool(asyncpg.Pool):
    """asyncpg's pool with a bounded wait for a connection and the database's health."""

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
        queue: asyncio.LifoQueue[Any] = self._queue  # type: ignore[attr-defined]
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

    async def _wait_for_free(self, queue: asyncio.LifoQueue[Any], timeout: float | None) -> Any:  # noqa: ASYNC109
        if not queue.empty():
            return queue.get_nowait()  # a free connection: no wait to bound (as queue.get would)
        bounds = [t for t in (self.acquire_timeout, timeout) if t is not None]
        wait = min(bounds) if bounds else None
        self.waiting += 1
        try:
            if wait is None:
                return await queue.get()
            return await _get_within(queue, wait)
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
        holder._release()  # back in the queue, which wakes the first request waiting for it
        holder._setup_inactive_callback()
        if self.waiting:
            # That request runs first: this task cannot take the connection back for a
            # statement of its own before it (as with asyncpg's release).
            await asyncio.sleep(0)

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
