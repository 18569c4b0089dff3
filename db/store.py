"""Reading and writing the curated tables, with statements built from db/tables.py.

The seed loader writes through `CuratedWriter` inside `seeding_transaction`; the export
reads through `read_rows`. Both map seed fields to columns with the declarations in
db/tables.py, so neither writes SQL of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Insert,
    Integer,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement

DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]

Connection = asyncpg.Connection
# Anything statements run on: a connection, a pool, or a connection taken from a pool.
Database = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Statement:
    """SQL text with `$n` placeholders, the bind names in placeholder order and the values
    the statement itself carries (constants); `arguments` adds the caller's."""

    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, Any]
    binds: Mapping[str, BindParameter[Any]] = field(default_factory=dict, compare=False, repr=False)

    def arguments(self, values: Mapping[str, Any] | None = None) -> list[Any]:
        given = values or {}
        return [given[name] if name in given else self.constants[name] for name in self.names]


class _InliningCompiler(DIALECT.statement_compiler):  # type: ignore[misc,name-defined]
    """The dialect's compiler, writing the values of the named binds into the text."""

    def __init__(self, dialect: Any, statement: ClauseElement, *, inline: frozenset[str], **kw: Any) -> None:
        self.inline_keys = inline
        super().__init__(dialect, statement, **kw)

    def visit_bindparam(self, bindparam: BindParameter[Any], literal_binds: bool = False, **kw: Any) -> str:
        inline = literal_binds or bindparam.key in self.inline_keys
        return super().visit_bindparam(bindparam, literal_binds=inline, **kw)  # type: ignore[no-any-return]


# Values written into a statement's text: these types render as plain SQL literals.
_INLINE_TYPES = (Integer, Boolean, String)


def can_inline(statement: Statement, name: str) -> bool:
    """Whether the bind `name` holds a value that can be written into the text: an integer,
    boolean or string, or a non-empty array of integers or strings (an empty ARRAY[] has
    no type in SQL); never NULL, dates or decimals."""
    bind = statement.binds[name]
    value: Any = bind.effective_value
    sql_type = bind.type
    if isinstance(sql_type, ARRAY):
        return bool(value) and isinstance(sql_type.item_type, _INLINE_TYPES) and None not in value
    return value is not None and isinstance(sql_type, _INLINE_TYPES)


def compile_statement(statement: ClauseElement, inline_keys: frozenset[str] = frozenset()) -> Statement:
    """The statement's text and parameters; the binds whose keys are in `inline_keys` (all
    constants) are written into the text instead."""
    compiled: SQLCompiler
    if inline_keys:
        compiled = _InliningCompiler(DIALECT, statement, inline=inline_keys)
    else:
        compiled = statement.compile(dialect=DIALECT)  # type: ignore[assignment]
    binds = compiled.binds
    constants = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
    return Statement(str(compiled), tuple(compiled.positiontup or ()), constants, binds)


class Truncate(Executable, ClauseElement):
    """TRUNCATE ... RESTART IDENTITY, which SQLAlchemy Core has no construct for."""

    inherit_cache = False

    def __init__(self, tables: Sequence[Table]) -> None:
        self.tables = tuple(tables)


@compiles(Truncate)
def _compile_truncate(element: Truncate, compiler: SQLCompiler, **kw: Any) -> str:
    names = ", ".join(compiler.preparer.format_table(table) for table in element.tables)
    return "TRUNCATE " + names + " RESTART IDENTITY"


def identity_column(table: Table) -> Column[Any] | None:
    """The generated `id` primary key, when the table has one."""
    column = table.c.get("id")
    return column if column is not None and column.identity is not None else None


def natural_order(table: Table) -> list[Column[Any]]:
    """The order rows are read in: list position within the owner, else the primary key,
    else every column (views)."""
    if "position" in table.c:
        owner = [column for column in table.columns if column.info.get("owner")]
        return [*owner, table.c.position]
    return list(table.primary_key.columns) or list(table.columns)


class CuratedWriter:
    """Inserts rows into the curated tables on one connection, one compiled INSERT per table.

    A row gives a value for every column but the identity; `insert` returns the new id.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._inserts: dict[str, Statement] = {}
        self._updates: dict[tuple[str, str], Statement] = {}

    async def empty(self, tables: Sequence[Table]) -> None:
        await self.connection.execute(compile_statement(Truncate(tables)).sql)

    async def insert(self, table: Table, row: Row) -> int | None:
        statement = self._inserts.get(table.name)
        if statement is None:
            statement = self._inserts[table.name] = compile_statement(_insert(table))
        if identity_column(table) is None:
            await self.connection.execute(statement.sql, *statement.arguments(row))
            return None
        row_id: int = await self.connection.fetchval(statement.sql, *statement.arguments(row))
        return row_id

    async def set_value(self, column: Column[Any], row_id: int, value: Any) -> None:
        """Set one column of one row, for references written after the rows they point to."""
        table = column.table
        assert isinstance(table, Table)
        key = (table.name, column.name)
        statement = self._updates.get(key)
        if statement is None:
            id_column = table.c.id
            statement = self._updates[key] = compile_statement(
                update(table)
                .where(id_column == bindparam("row_id", type_=id_column.type))
                .values({column.name: bindparam("value", type_=column.type)})
            )
        await self.connection.execute(statement.sql, *statement.arguments({"row_id": row_id, "value": value}))

    async def rows(self, table: Table) -> list[asyncpg.Record]:
        return await _rows(self.connection, table)


def _insert(table: Table) -> Insert:
    identity = identity_column(table)
    columns = [column for column in table.columns if column is not identity]
    statement = insert(table).values(
        {column.name: bindparam(column.name, type_=column.type) for column in columns}
    )
    return statement.returning(identity) if identity is not None else statement


@asynccontextmanager
async def seeding_transaction(connection: Connection) -> AsyncIterator[CuratedWriter]:
    """One transaction, one seeder at a time; readers see the new release at commit."""
    async with connection.transaction():
        lock = compile_statement(select(func.pg_advisory_xact_lock(func.hashtext("seed"))))
        await connection.execute(lock.sql, *lock.arguments())
        yield CuratedWriter(connection)


async def read_rows(db: Database, tables: Iterable[Table]) -> dict[str, list[asyncpg.Record]]:
    """Every row of each table (or view) in its natural order, by table name."""
    return {table.name: await _rows(db, table) for table in tables}


async def _rows(db: Database, table: Table) -> list[asyncpg.Record]:
    statement = compile_statement(select(table).order_by(*natural_order(table)))
    rows: list[asyncpg.Record] = await db.fetch(statement.sql, *statement.arguments())
    return rows
