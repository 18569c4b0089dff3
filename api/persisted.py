"""Persisted queries on /graphql, over GET and POST.

Automatic persisted queries (the protocol Apollo Client, urql and Relay speak): a request
may carry `extensions.persistedQuery = {"version": 1, "sha256Hash": H}` instead of its
`query`. A known hash is answered as if the query had been sent; an unknown one gets the
error `PERSISTED_QUERY_NOT_FOUND`, and the client retries with the query and the hash,
which is then remembered in a store bounded in entries and bytes. A hash-only GET is short,
so a CDN or proxy can cache it (its ETag follows the data release, api.graphql_view).

Trusted documents: with PERSISTED_QUERIES=trusted only the operations of a manifest
(TRUSTED_DOCUMENTS: Apollo's `persisted-query-manifest.json`, or a JSON object of hash ->
document) are run, by hash or by their exact text; anything else is refused with
`PERSISTED_QUERY_NOT_ALLOWED`.

api.guards.GraphQLRequestGuard reads each request once and asks `PersistedQueries` for its
query before checking it as usual.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.datastructures import QueryParams
from starlette.types import Scope

from api.guards import RequestRefused
from config.settings import Settings

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # the message Apollo's clients look for
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueryNotFound(RequestRefused):
    """200 with the error, as Apollo Server answers: the client then sends the query."""

    def __init__(self) -> None:
        super().__init__(200, NOT_FOUND, NOT_FOUND_MESSAGE)


class QueryStore:
    """Hash -> document, least recently used first out, bounded in entries and bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    def put(self, digest: str, document: str) -> None:
        size = len(document.encode())
        if digest in self._documents or size > self.max_bytes // 4:
            return
        self._documents[digest] = document
        self.bytes += size
        while len(self._documents) > self.max_entries or self.bytes > self.max_bytes:
            _, old = self._documents.popitem(last=False)
            self.bytes -= len(old.encode())


def load_manifest(path: Path) -> dict[str, str]:
    """The trusted documents by SHA-256: Apollo's persisted query manifest
    (`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body", ...}]}`)
    or a plain object of hash -> document. Every hash is checked against its document."""
    content = orjson.loads(path.read_bytes())
    if isinstance(content, dict) and isinstance(content.get("operations"), list):
        pairs = [(operation["id"], operation["body"]) for operation in content["operations"]]
    elif isinstance(content, dict):
        pairs = list(content.items())
    else:
        raise ValueError(f"{path}: a manifest is a JSON object")
    documents: dict[str, str] = {}
    for digest, document in pairs:
        digest = str(digest).lower().removeprefix("sha256:")
        if not isinstance(document, str) or sha256(document) != digest:
            raise ValueError(f"{path}: the document of {digest} does not have that SHA-256 hash")
        documents[digest] = document
    return documents


class PersistedQueries:
    """Resolves `extensions.persistedQuery` on /graphql (see the module's description)."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.persisted_queries
        self.store = QueryStore(settings.persisted_query_entries, settings.persisted_query_bytes)
        self.trusted: dict[str, str] = {}
        if self.mode == "trusted":
            assert settings.trusted_documents is not None
            self.trusted = load_manifest(settings.trusted_documents)

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries | None:
        return None if settings.persisted_queries == "off" else cls(settings)

    def resolve_get(self, scope: Scope) -> Scope:
        """The GET request with its query put in; raises RequestRefused."""
        params = QueryParams(scope.get("query_string", b""))
        if "extensions" not in params and (self.mode != "trusted" or "query" not in params):
            return scope
        item: dict[str, Any] = {"query": params.get("query")}
        if params.get("extensions"):
            try:
                item["extensions"] = orjson.loads(params["extensions"])
            except orjson.JSONDecodeError:
                return scope  # the guard refuses it with its own message
        query = self.resolve(item)
        if query is None or params.get("query") == query:
            return scope
        pairs = [(k, v) for k, v in params.multi_items() if k != "query"] + [("query", query)]
        return {**scope, "query_string": urlencode(pairs).encode()}

    def resolve_payload(self, payload: Any) -> bool:
        """Puts each operation's query into a POST payload (one operation or a batch); whether
        any changed. Raises RequestRefused."""
        changed = False
        for item in payload if isinstance(payload, list) else [payload]:
            if isinstance(item, dict):
                query = self.resolve(item)
                if query is not None and item.get("query") != query:
                    item["query"] = query
                    changed = True
        return changed

    def resolve(self, item: dict[str, Any]) -> str | None:
        """The query of one request, or None to leave it as it is; raises for a refusal or an
        unknown hash."""
        extensions = item.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = item.get("query")
        if persisted is None:
            if self.mode == "trusted" and isinstance(query, str) and sha256(query) not in self.trusted:
                raise self.not_allowed()
            return None
        digest = self._digest(persisted)
        if isinstance(query, str) and query:
            if sha256(query) != digest:
                message = "The query's SHA-256 hash is not `extensions.persistedQuery.sha256Hash`."
                raise RequestRefused(400, "PERSISTED_QUERY_HASH_MISMATCH", message)
            if self.mode == "trusted" and digest not in self.trusted:
                raise self.not_allowed()
            if self.mode == "apq":
                self.store.put(digest, query)
            return query
        stored = self.trusted.get(digest) if self.mode == "trusted" else self.store.get(digest)
        if stored is None:
            raise PersistedQueryNotFound
        return stored

    @staticmethod
    def _digest(persisted: Any) -> str:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            message = (
                "`extensions.persistedQuery` must be {version: 1, sha256Hash}; only version 1 is supported."
            )
            raise RequestRefused(400, "PERSISTED_QUERY_NOT_SUPPORTED", message)
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
            raise RequestRefused(400, "BAD_REQUEST", "`sha256Hash` must be 64 hexadecimal digits.")
        return digest.lower()

    @staticmethod
    def not_allowed() -> RequestRefused:
        message = "Only the operations of this server's trusted documents are accepted."
        return RequestRefused(400, "PERSISTED_QUERY_NOT_ALLOWED", message)
