"""Mapping of execution errors to what a client sees.

Client mistakes keep their message and get `extensions.code`; anything unexpected is
masked (no stack trace, no SQL) and logged with the request id; a database outage is
reported so that the HTTP layer can answer 503.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from graphql import GraphQLError

from db.readpool import PoolBusy
from schema.errors import DATABASE_UNAVAILABLE, SERVER_OVERLOADED, error_code

logger = logging.getLogger("api.errors")
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")

# What a failing or restarting database raises on the way to a query.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    PoolBusy,
)


_PUBLIC_MESSAGES = {
    "INTERNAL_SERVER_ERROR": "Internal server error.",
    DATABASE_UNAVAILABLE: "The database is unavailable; retry shortly.",
    SERVER_OVERLOADED: "The server is busy; retry shortly.",
    "QUERY_TIMEOUT": "The query took too long and was cancelled.",
}


def format_error(error: GraphQLError, request_id: str | None, suggestions: bool = True) -> dict[str, Any]:
    code = error_code(error)
    formatted: dict[str, Any] = dict(error.formatted)
    if not suggestions:
        formatted["message"] = _SUGGESTION.sub("", formatted["message"])
    if code in _PUBLIC_MESSAGES:
        if code == "INTERNAL_SERVER_ERROR":
            logger.error(
                "unexpected error (request %s) at %s",
                request_id,
                error.path,
                exc_info=error.original_error,
            )
        formatted = {"message": _PUBLIC_MESSAGES[code]}
        if error.locations:
            formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
        if error.path:
            formatted["path"] = error.path
    extensions = dict(formatted.get("extensions") or {})
    extensions["code"] = code
    if request_id and code in _PUBLIC_MESSAGES:
        extensions["requestId"] = request_id
    formatted["extensions"] = extensions
    return formatted
