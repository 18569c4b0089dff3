"""Answers as tables: any GraphQL answer as CSV (`Accept: text/csv`), and the documented
downloads `/csv/{field}` of every root connection with its filters as query parameters.

Both run the service's own GraphQL execution (limits, cost, the one-statement engine), so a
filter is stated once, in the schema; the columns are the answer's field names (camelCase,
as in the schema) and the values are the API's (enum names such as `PHASE_3`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import DATABASE_ERRORS, format_error
from api.logs import request_id_var
from db.queries import QueryRunner
from db.release import latest_release
from schema.context import Context
from schema.errors import RETRY_LATER_CODES
from schema.schema import TherapySchema

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
LIST_SEPARATOR = "; "
PAGE_SIZE = 100
MAX_CSV_ROWS = 20_000
DOWNLOAD_CACHE_CONTROL = "public, max-age=60"
# Query parameters of a download that are arguments or whole variables, not filter fields.
RESERVED_PARAMETERS = frozenset(
    {"variables", "filter", "orderBy", "first", "after", "last", "before", "title"}
)


class DownloadError(Exception):
    """A download that cannot be answered: the HTTP status and a GraphQL-shaped error body."""

    def __init__(self, status: int, errors: list[dict[str, Any]], headers: Mapping[str, str] | None = None):
        super().__init__(errors[0]["message"] if errors else "")
        self.status = status
        self.errors = errors
        self.headers = dict(headers or {})

    @classmethod
    def bad_request(cls, message: str) -> DownloadError:
        return cls(400, [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}])

    def response(self) -> Response:
        return JSONResponse(
            {"errors": self.errors}, self.status, headers={"Cache-Control": "no-store", **self.headers}
        )


# --- rows and CSV ----------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return orjson.dumps(value).decode()
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_cell(item) for item in value if item is not None)
    return orjson.dumps(value).decode()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """One row: nested objects become dotted columns (`trial.acronym`); a list of objects
    becomes one column per field, its values joined (`targets.symbol` = `ERBB2; EGFR`)."""
    row: dict[str, Any] = {}
    if not isinstance(value, dict):
        return {prefix or "value": value}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            row.update(flatten(item, name + "."))
        elif isinstance(item, list) and any(isinstance(i, dict) for i in item):
            merged: dict[str, list[Any]] = {}
            for element in item:
                for column, cell in flatten(element, name + ".").items():
                    merged.setdefault(column, []).append(cell)
            row.update(merged)
        else:
            row[name] = item
    return row


def answer_rows(value: Any) -> list[Any]:
    """The rows of one root field's answer: a connection's nodes, a list's items, an object."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    if isinstance(value, dict) and isinstance(value.get("edges"), list):
        return [edge.get("node") if isinstance(edge, dict) else edge for edge in value["edges"]]
    return [value]


def to_csv(rows: Iterable[Any], columns: Iterable[str] = ()) -> bytes:
    """CSV with a header of the given columns, then of every other column seen, in first-seen order."""
    flat = [flatten(row) for row in rows]
    header = dict.fromkeys(columns)
    for row in flat:
        header.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in flat:
        writer.writerow([_cell(row.get(column)) for column in header])
    return buffer.getvalue().encode()


def data_as_csv(data: Mapping[str, Any]) -> bytes:
    """The CSV of an answer's `data`: the rows of its one root field."""
    fields = [key for key in data if key != "__typename"]
    if len(fields) != 1:
        raise DownloadError(
            406,
            [
                {
                    "message": f"A CSV answer tabulates one root field; this operation selects {len(fields)}.",
                    "extensions": {"code": "NOT_ACCEPTABLE"},
                }
            ],
        )
    return to_csv(answer_rows(data[fields[0]]))


# --- content negotiation on /graphql -----------------------------------------------------------


def _quality(part: str) -> float:
    for parameter in part.split(";")[1:]:
        key, _, value = parameter.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def wants_csv(accept: str) -> bool:
    """Whether `text/csv` is the client's first choice among what /graphql can answer."""
    best_csv, best_json = 0.0, 0.0
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media == "text/csv":
            best_csv = max(best_csv, _quality(part))
        elif media in {"application/json", "application/graphql-response+json", "*/*", "application/*"}:
            best_json = max(best_json, _quality(part))
    return best_csv > 0 and best_csv >= best_json


class CsvAnswers:
    """`Accept: text/csv` on /graphql: the JSON answer of a single operation, tabulated (run by
    api.pipeline).

    The view answers as usual (its ETag already depends on `Accept`); a clean answer's rows
    become CSV, anything else (errors, 304, refusals) goes out unchanged. GET answers on
    /graphql depend on `Accept`, so they say `Vary: Accept` (api.pipeline).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(scope, receive, capture)
        assert start is not None
        body = b"".join(chunks)
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        if start["status"] == 200 and headers.get("content-type", "").startswith("application/"):
            try:
                body, headers = self._converted(body, headers)
            except DownloadError as refusal:
                body = orjson.dumps({"errors": refusal.errors})
                start = {**start, "status": refusal.status}
        headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _converted(body: bytes, headers: MutableHeaders) -> tuple[bytes, MutableHeaders]:
        answer = orjson.loads(body)
        if not isinstance(answer, dict) or answer.get("errors") or not isinstance(answer.get("data"), dict):
            return body, headers  # errors stay a GraphQL answer the client can read
        csv_body = data_as_csv(answer["data"])
        headers["content-type"] = CSV_MEDIA_TYPE
        if "etag" in headers:
            headers["etag"] = headers["etag"][:-1] + '-csv"'
        return csv_body, headers


# --- running an operation in process -----------------------------------------------------------


async def run_operation(
    schema: TherapySchema, pool: asyncpg.Pool, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """`data` of an operation run by the service's own GraphQL execution; DownloadError otherwise."""
    result = await schema.execute(
        query, variable_values=variables, context_value=Context(db=QueryRunner(pool))
    )
    if result.errors:
        request_id = request_id_var.get()
        errors = [format_error(error, request_id) for error in result.errors]
        codes = {error["extensions"].get("code") for error in errors}
        if codes & RETRY_LATER_CODES:
            raise DownloadError(503, errors, {"Retry-After": "5"})
        raise DownloadError(400, errors)
    data: dict[str, Any] = orjson.loads(orjson.dumps(result.data))
    return data


# --- building the download operation -----------------------------------------------------------


def _is_connection(field: GraphQLField) -> bool:
    named = get_named_type(field.type)
    return is_object_type(named) and {"nodes", "pageInfo"} <= set(named.fields)


def connection_fields(schema: TherapySchema) -> dict[str, GraphQLField]:
    """The root fields that are connections (`trials`, `efficacy`, ...), by name."""
    query_type = schema._schema.query_type
    assert query_type is not None
    return {name: field for name, field in query_type.fields.items() if _is_connection(field)}


def leaf_selection(node_type: GraphQLObjectType) -> list[str]:
    """Every field of a type that is a value (scalar, enum, or a list of them), not deprecated
    and without required arguments: the columns of a download."""
    names = []
    for name, field in node_type.fields.items():
        if field.deprecation_reason is not None or not is_leaf_type(get_named_type(field.type)):
            continue
        if any(is_non_null_type(arg.type) and arg.default_value is None for arg in field.args.values()):
            continue
        names.append(name)
    return names


def node_type(field: GraphQLField) -> GraphQLObjectType:
    connection = get_named_type(field.type)
    assert isinstance(connection, GraphQLObjectType)
    nodes = get_named_type(connection.fields["nodes"].type)
    assert isinstance(nodes, GraphQLObjectType)
    return nodes


def page_query(name: str, field: GraphQLField, selection: str, arguments: Iterable[str]) -> str:
    """`query` paging through one root connection, with these of its arguments as variables
    (only those given: a declared variable without a value is not the same as no argument)."""
    given = [arg for arg in field.args if arg in set(arguments)]
    declared = ", ".join(f"${arg}: {field.args[arg].type}" for arg in given)
    passed = ", ".join(f"{arg}: ${arg}" for arg in given)
    head = f"query Download({declared})" if declared else "query Download"
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {selection} }} }} }}"


def _scalar(value: str, kind: GraphQLInputType, parameter: str) -> Any:
    named = get_named_type(kind)
    if isinstance(named, GraphQLScalarType) and named.name in {"Int", "Float", "Boolean"}:
        try:
            return orjson.loads(value.lower() if named.name == "Boolean" else value)
        except orjson.JSONDecodeError:
            raise DownloadError.bad_request(f"`{parameter}` must be a {named.name}; got {value!r}.") from None
    return value


def _json_parameter(params: QueryParams, name: str) -> Any:
    try:
        return orjson.loads(params[name])
    except orjson.JSONDecodeError:
        raise DownloadError.bad_request(f"`{name}` must be JSON, as GraphQL variables are.") from None


def variables_from_params(field: GraphQLField, params: QueryParams) -> dict[str, Any]:
    """GraphQL variables from query parameters: `variables` or `filter` / `orderBy` as JSON,
    `first`, `after`, ..., and each filter field by name (`?phases=PHASE_3,PHASE_2&target=CD19`,
    a list field also repeated). GraphQL itself then checks every value."""
    variables: dict[str, Any] = _json_parameter(params, "variables") if "variables" in params else {}
    if not isinstance(variables, dict):
        raise DownloadError.bad_request("`variables` must be a JSON object.")
    for name in ("filter", "orderBy"):
        if name in params:
            variables[name] = _json_parameter(params, name)
    for name in ("first", "last", "after", "before"):
        if name in params and name in field.args:
            variables[name] = _scalar(params[name], field.args[name].type, name)
    filter_arg = field.args.get("filter")
    filter_type = get_named_type(filter_arg.type) if filter_arg else None
    fields = filter_type.fields if isinstance(filter_type, GraphQLInputObjectType) else {}
    for parameter in dict.fromkeys(params.keys()):
        if parameter in RESERVED_PARAMETERS:
            continue
        if parameter not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise DownloadError.bad_request(
                f"Unknown parameter `{parameter}`; the filter fields are: {known}."
            )
        kind = fields[parameter].type
        unwrapped = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
        if is_list_type(unwrapped):
            assert isinstance(unwrapped, GraphQLList)
            values = [v.strip() for raw in params.getlist(parameter) for v in raw.split(",") if v.strip()]
            value: Any = [_scalar(v, unwrapped.of_type, parameter) for v in values]
        else:
            value = _scalar(params[parameter], kind, parameter)
        variables.setdefault("filter", {})
        if isinstance(variables["filter"], dict):
            variables["filter"][parameter] = value
    return variables


async def all_pages(
    schema: TherapySchema,
    pool: asyncpg.Pool,
    name: str,
    selection: str,
    variables: dict[str, Any],
    max_rows: int = MAX_CSV_ROWS,
) -> list[Any]:
    """Every node of a root connection, page after page (one page when `first` or `last` is given)."""
    field = connection_fields(schema)[name]
    one_page = "first" in variables or "last" in variables
    variables = dict(variables) if one_page else {**variables, "first": PAGE_SIZE}
    rows: list[Any] = []
    while True:
        query = page_query(name, field, selection, variables)
        connection = (await run_operation(schema, pool, query, variables))[name]
        rows.extend(connection["nodes"])
        if one_page or not connection["pageInfo"]["hasNextPage"]:
            return rows
        if len(rows) >= max_rows:
            raise DownloadError.bad_request(
                f"More than {max_rows} rows match; narrow the filter or page with `first` and `after`."
            )
        variables["after"] = connection["pageInfo"]["endCursor"]


async def release_etag(pool: asyncpg.Pool, request: Request) -> str | None:
    """An ETag for a download: the data release and the request's path and parameters."""
    release = await latest_release(pool)
    if release is None:
        return None
    digest = hashlib.sha256(f"{release.checksum}\0{request.url.path}\0{request.url.query}".encode())
    return f'"{digest.hexdigest()[:32]}"'


def cached_response(body: bytes, media_type: str, etag: str | None, request: Request) -> Response:
    headers = {"Cache-Control": DOWNLOAD_CACHE_CONTROL}
    if etag is None:
        return Response(body, media_type=media_type, headers=headers)
    headers["ETag"] = etag
    candidates = [c.strip().removeprefix("W/") for c in request.headers.get("if-none-match", "").split(",")]
    if etag in candidates or "*" in candidates:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@dataclass
class Downloads:
    """`/csv/{field}`: every row of a root connection as CSV, filtered by query parameters."""

    schema: TherapySchema

    def __post_init__(self) -> None:
        self.connections = connection_fields(self.schema)
        self.columns = {name: leaf_selection(node_type(field)) for name, field in self.connections.items()}

    async def csv(self, request: Request) -> Response:
        name = request.path_params["field"].removesuffix(".csv")
        if name not in self.connections:
            return JSONResponse(
                {"error": f"no root connection {name!r}", "connections": sorted(self.connections)},
                status_code=404,
            )
        pool: asyncpg.Pool = request.app.state.pool
        try:
            variables = variables_from_params(self.connections[name], request.query_params)
            etag = await release_etag(pool, request)
            if etag is not None and etag in request.headers.get("if-none-match", ""):
                return cached_response(b"", CSV_MEDIA_TYPE, etag, request)
            rows = await all_pages(self.schema, pool, name, " ".join(self.columns[name]), variables)
        except DownloadError as refusal:
            return refusal.response()
        except DATABASE_ERRORS:
            return DownloadError(
                503,
                [
                    {
                        "message": "The database is unavailable; retry shortly.",
                        "extensions": {"code": "DATABASE_UNAVAILABLE"},
                    }
                ],
                {"Retry-After": "5"},
            ).response()
        response = cached_response(to_csv(rows, self.columns[name]), CSV_MEDIA_TYPE, etag, request)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
