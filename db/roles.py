"""The API's least-privilege login (created by migration 0008) and the owner's first contact
with the database, reported in one line when it fails."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

READER_ROLE = "therapy_reader"


class DatabaseUnreachable(Exception):
    """DATABASE_URL is malformed or names a server that does not answer or refuses the login."""


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def reader_url(owner_url: str, password: str | None = None) -> str:
    """The owner's URL with the reader role (and its password, when it has one) as the user."""
    parts = urlsplit(owner_url)
    host = parts.netloc.rpartition("@")[2]
    user = READER_ROLE if password is None else f"{READER_ROLE}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


async def set_reader_password(owner: asyncpg.Connection, password: str) -> None:
    """Give the reader role a password (the owner needs the right to alter roles)."""
    # ALTER ROLE takes no parameters: the server quotes the literal itself.
    statement = await owner.fetchval(
        "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", READER_ROLE, password
    )
    await owner.execute(statement)


async def check_database(url: str, connect_timeout: float = 10.0) -> None:
    """Connect once; raise DatabaseUnreachable with a one-line reason when that fails."""
    try:
        connection = await asyncpg.connect(url, timeout=connect_timeout)
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnreachable(f"cannot connect to the database at {redacted(url)}: {reason}") from None
    await connection.close()
