"""The one SQL builder: plans of entity rows and selections in, SQLAlchemy statements out.

The builder knows tables, rows and relationships, never GraphQL. The planner in
schema/ hands it declarations (`Entity`, `Value`, `Relation`), row plans (`Rows`,
`One`, `Many`, `Page`, `Each`) and selections (`ObjectShape`, `ConnectionShape`).
It builds either

- the whole operation as one statement whose JSON output is the response
  (`operation_statement`), or
- one statement per relationship batch for the reference executor
  (`rows_statement`, `page_statement`, `relation_batch_statement`).

Paging, cursors, global IDs and enum mapping exist here once and serve both.
Aliases are SQLAlchemy aliases, named when the statement is compiled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    FromClause,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.sql.selectable import Alias

from db.keyset import Term, order_terms
from db.keyset import after as keyset_after
from db.store import DIALECT

_QUOTE = String().literal_processor(DIALECT)  # type: ignore[no-untyped-call]

Expr = ColumnElement[Any]
RowExpr = Callable[[FromClause], Expr]


def constant(text: str) -> Expr:
    """A string constant written into the statement (names, keys), not a parameter."""
    assert _QUOTE is not None
    return literal_column(_QUOTE(text), Text)


# --- declarations --------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A scalar read from the row. `enum` maps stored values to their API names."""

    read: RowExpr
    enum: Mapping[str, str] | None = None
    is_float: bool = False

    def json(self, row: FromClause) -> Expr:
        """The value as GraphQL writes it, as JSON text: a whole Float keeps its `.0` (8.0,
        not 8); an enum is its API name."""
        if self.enum is not None:
            stored = self.read(row)
            names = case(
                *[(stored == constant(value), json_string(name)) for value, name in self.enum.items()]
            )
            return json_value_or_null(names)
        expression = self.sql(row)
        if not self.is_float:
            return json_value(expression)
        whole = expression == func.trunc(expression)
        written = case(
            (whole, func.to_json(cast(expression, Numeric(40, 1)))), else_=func.to_json(expression)
        )
        return json_value_or_null(cast(written, Text))

    def sql(self, row: FromClause) -> Expr:
        expression = self.read(row)
        if self.enum is None:
            return expression
        return case(*[(expression == constant(stored), constant(name)) for stored, name in self.enum.items()])


@dataclass(frozen=True)
class Rows:
    """Rows of an entity: `row` is the alias its values read; `source` what to select from."""

    row: FromClause
    source: FromClause
    where: Sequence[Expr] = ()
    order_by: Sequence[Expr] = ()
    limit: int | None = None

    def select_from(self, *columns: Any) -> Select[Any]:
        statement = select(*columns).select_from(self.source)
        if self.where:
            statement = statement.where(*self.where)
        return statement


@dataclass(frozen=True)
class Relation:
    """A relationship: the target rows for one parent row.

    `rows(parent)` correlates to the parent's columns named in `parent_columns`; the
    parent is the parent's own alias in one statement, or the batch of parent keys.
    """

    target: str
    rows: Callable[[FromClause], Rows]
    parent_columns: tuple[str, ...]
    single: bool = False


@dataclass(frozen=True)
class Polymorphic:
    """A relationship to one entity among several: `type_column` names which, `id_column` its id."""

    type_column: str
    id_column: str
    targets: Mapping[str, str]  # stored type value -> entity name

    @property
    def parent_columns(self) -> tuple[str, ...]:
        return (self.type_column, self.id_column)


@dataclass
class Entity:
    """One row type: where its rows live, how they are identified and ordered, what they hold."""

    name: str
    alias: Callable[[], FromClause]  # a fresh alias of the rows (a table or a derived table)
    id_column: str
    order_by: Callable[[FromClause], list[Expr]]
    key: RowExpr | None = None  # natural key of the global ID
    values: dict[str, Value] = field(default_factory=dict)
    relations: dict[str, Relation | Polymorphic] = field(default_factory=dict)

    def all_rows(self) -> Rows:
        row = self.alias()
        return Rows(row=row, source=row, order_by=self.order_by(row))

    def parent_columns(self) -> list[str]:
        """Columns the entity's relationships read from its rows (carried by batch rows)."""
        names: list[str] = []
        for relation in self.relations.values():
            names += [c for c in relation.parent_columns if c not in names]
        return names


ENTITIES: dict[str, Entity] = {}


def register(entity: Entity) -> Entity:
    ENTITIES[entity.name] = entity
    return entity


def global_id(type_name: str, key: Expr) -> Expr:
    """base64url('Type:key') without padding: stable, opaque IDs."""
    text = constant(type_name + ":").op("||")(cast(key, Text))
    encoded = func.encode(func.convert_to(text, constant("UTF8")), constant("base64"))
    return func.rtrim(func.translate(encoded, constant("+/\n"), constant("-_")), constant("="))


def cursor(entity: Expr, row_id: Expr) -> Expr:
    """base64url('cursor:v3:Type:id'): opaque to clients, short whatever the sort key."""
    text = constant("cursor:v3:").op("||")(entity).op("||")(constant(":")).op("||")(cast(row_id, Text))
    encoded = func.encode(func.convert_to(text, constant("UTF8")), constant("base64"))
    return func.translate(encoded, constant("+/\n"), constant("-_"))


# --- plans of rows -----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A page: rows after the `after` row and before the `before` row, then first and/or last.

    A cursor names a row by its id; its sort key (db.keyset) is read from the list itself.
    """

    first: int | None
    last: int | None
    after: int | None = None
    before: int | None = None


@dataclass(frozen=True)
class One:
    entity: str
    rows: Rows


@dataclass(frozen=True)
class Many:
    entity: str
    rows: Rows


@dataclass(frozen=True)
class Page:
    entity: str
    rows: Rows
    window: Window


@dataclass(frozen=True)
class Each:
    """A list with one entry per item asked for, in the order asked (None: known to be absent)."""

    items: tuple[One | None, ...]


@dataclass(frozen=True)
class TypeName:
    """A root `__typename`: a constant."""

    name: str


RootPlan = One | Many | Page | Each | TypeName


# --- selections --------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One response key of an object.

    kind: `const` (text), `value` / `relation` (name), `global_id`, and for
    connections `total`, `nodes`, `edges`, `cursor`, `node`, `page_info`,
    `has_next`, `has_previous`, `start_cursor`, `end_cursor`.
    """

    key: str
    kind: str
    name: str = ""
    shape: Shape | None = None
    picks: tuple[Pick, ...] = ()
    limit: int | None = None  # of a list relationship


@dataclass(frozen=True)
class ObjectShape:
    entity: str
    picks: tuple[Pick, ...]


@dataclass(frozen=True)
class PolymorphicShape:
    shapes: Mapping[str, ObjectShape]  # entity name -> its selection


@dataclass(frozen=True)
class ConnectionShape:
    picks: tuple[Pick, ...]


Shape = ObjectShape | PolymorphicShape | ConnectionShape


# --- JSON building -----------------------------------------------------------------
# The response is written as JSON text, not PostgreSQL's json type: json_build_object puts
# ' : ' and ', ' between members, about 12% of a typical answer, where text stays compact.
# Expressions of type JSON_TEXT already hold JSON; any other value is converted.


class _JsonText(Text):
    """Text that holds JSON (the type only marks it for the builder)."""


JSON_TEXT = _JsonText()
JSON_NULL: Expr = type_coerce(literal_column("'null'"), JSON_TEXT)


def json_value(value: Expr) -> Expr:
    """The value as JSON text, never NULL ('null')."""
    if isinstance(value.type, _JsonText):
        return value
    return json_value_or_null(cast(func.to_json(value), Text))


def json_string(text: str) -> Expr:
    """A string constant as JSON."""
    return type_coerce(constant(json.dumps(text)), JSON_TEXT)


Part = str | Expr  # of JSON text: a str is written into the statement


class _JsonConcatenation(GenericFunction[str]):
    """JSON text parts written one after the other (a || b || c). Made by `_json_concat`,
    which writes the parts of one among the parts of another into it, joining adjacent
    constants: one expression builds an object with its lists."""

    _register = False
    name = "json_concatenation"
    type = JSON_TEXT
    inherit_cache = True

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        super().__init__(*[constant(part) if isinstance(part, str) else part for part in parts])


@compiles(_JsonConcatenation)
def _write_concatenation(element: _JsonConcatenation, compiler: SQLCompiler, **kw: Any) -> str:
    # `||` rather than concat(), which looks up each argument's type on every call: objects
    # are built about 20% faster than by json_build_object (concat(): 13%)
    return "(" + " || ".join(compiler.process(part, **kw) for part in element.clauses) + ")"


def _json_concat(parts: list[Part]) -> Expr:
    flat: list[Part] = []
    for part in parts:
        for piece in part.parts if isinstance(part, _JsonConcatenation) else [part]:
            if isinstance(piece, str) and flat and isinstance(flat[-1], str):
                flat[-1] += piece
            else:
                flat.append(piece)
    return _JsonConcatenation(flat)


def json_object(pairs: list[tuple[str, Expr]]) -> Expr:
    """A JSON object with its keys in the order given."""
    parts: list[Part] = ["{"]
    for index, (key, value) in enumerate(pairs):
        parts += [("," if index else "") + json.dumps(key) + ":", json_value(value)]
    return _json_concat([*parts, "}"])


def json_list(items: list[Expr]) -> Expr:
    """A JSON array of the values given."""
    parts: list[Part] = ["["]
    for index, item in enumerate(items):
        parts += [("," if index else ""), json_value(item)]
    return _json_concat([*parts, "]"])


def object_json(shape: ObjectShape, row: FromClause) -> Expr:
    entity = ENTITIES[shape.entity]
    pairs: list[tuple[str, Expr]] = []
    for pick in shape.picks:
        if pick.kind == "const":
            pairs.append((pick.key, json_string(pick.name)))
        elif pick.kind == "global_id":
            assert entity.key is not None, entity.name
            pairs.append((pick.key, global_id(entity.name, entity.key(row))))
        elif pick.kind == "value":
            pairs.append((pick.key, entity.values[pick.name].json(row)))
        else:
            assert pick.shape is not None
            relation = entity.relations[pick.name]
            pairs.append((pick.key, relation_json(relation, row, pick.shape, pick.limit)))
    return json_object(pairs)


def relation_json(
    relation: Relation | Polymorphic, parent: FromClause, shape: Shape, limit: int | None = None
) -> Expr:
    if isinstance(relation, Polymorphic):
        assert isinstance(shape, PolymorphicShape)
        whens = []
        for stored, entity_name in relation.targets.items():
            target_shape = shape.shapes.get(entity_name)
            if target_shape is not None:
                one = One(entity_name, by_id(entity_name, parent.c[relation.id_column]))
                whens.append(
                    (parent.c[relation.type_column] == constant(stored), one_json(one, target_shape))
                )
        # each object is 'null' when its row is missing, so the case is never NULL
        return type_coerce(case(*whens, else_=JSON_NULL), JSON_TEXT) if whens else JSON_NULL
    assert isinstance(shape, ObjectShape)
    rows = relation.rows(parent)
    if relation.single:
        return one_json(One(relation.target, rows), shape)
    if limit is not None:
        rows = Rows(rows.row, rows.source, rows.where, rows.order_by, limit)
    return many_json(Many(relation.target, rows), shape)


def by_id(entity_name: str, row_id: Expr) -> Rows:
    entity = ENTITIES[entity_name]
    row = entity.alias()
    return Rows(row=row, source=row, where=[row.c[entity.id_column] == row_id])


def one_json(plan: One, shape: ObjectShape) -> Expr:
    rows = plan.rows
    statement = rows.select_from(object_json(shape, rows.row)).order_by(*rows.order_by).limit(1)
    return json_value_or_null(statement.scalar_subquery())


def many_json(plan: Many, shape: ObjectShape) -> Expr:
    """The rows' objects as a JSON array, in the list's order (cut to its limit, if any).

    ARRAY(SELECT ... ORDER BY ... LIMIT n) keeps the subquery's order; unlike json_agg over
    a ranked LATERAL it needs no window, no second sort and no aggregate per parent row.
    """
    rows = plan.rows
    items = rows.select_from(object_json(shape, rows.row)).order_by(*rows.order_by)
    if rows.limit is not None:
        items = items.limit(rows.limit)
    return json_array(items)


def json_array(items: Select[Any]) -> Expr:
    """A one-column subquery's JSON texts as a JSON array, in the subquery's order."""
    joined = func.array_to_string(func.array(items.scalar_subquery()), constant(","))
    return _json_concat(["[", joined, "]"])


def json_value_or_null(value: Expr) -> Expr:
    """JSON text that may be missing (no row, no case): 'null' then."""
    return type_coerce(func.coalesce(value, JSON_NULL), JSON_TEXT)


@dataclass(frozen=True)
class _PageParts:
    page: FromClause  # the page's rows: the entity's columns and the sort key (__k0, __k1, ...)
    order: list[Expr]  # the page's rows in list order
    cursor: Expr  # of a page row
    total: Expr
    has_next: Expr
    has_previous: Expr
    start_cursor: Expr
    end_cursor: Expr


def page_terms(entity_name: str, rows: Rows) -> list[Term]:
    """The sort terms of a list: its order, then the row id (so every key is distinct)."""
    return order_terms([*rows.order_by, rows.row.c[ENTITIES[entity_name].id_column]])


def _table_of(row: FromClause) -> Table | None:
    """The table a row alias reads, if it is a plain table (not a derived one)."""
    return row.element if isinstance(row, Alias) and isinstance(row.element, Table) else None


def _page_rows(plan: Page, terms: list[Term], table: Table | None) -> tuple[FromClause, list[Expr]]:
    """The matching rows' sort keys (the id is the last), inlined wherever they are read.

    Rows of a table carry only their keys here, so the count and the page can read a
    covering index alone; the page's rows are joined back by id (see `_page_of`).
    """
    rows = plan.rows
    labelled = [term.expression.label(f"__k{index}") for index, term in enumerate(terms)]
    columns = labelled if table is not None else [rows.row, *labelled]
    # NOT MATERIALIZED: each reader (page, count, has-next) plans its own index scan.
    matched = rows.select_from(*columns).cte().prefix_with("NOT MATERIALIZED")
    return matched, [matched.c[f"__k{index}"] for index in range(len(terms))]


def _page_of(plan: Page, window: Select[Any], table: Table | None, id_key: str) -> FromClause:
    """The window's rows with the entity's columns: joined back by id for a table's rows."""
    if table is None:
        return window.cte()
    keys = window.subquery()
    row = table.alias()
    id_column = row.c[ENTITIES[plan.entity].id_column]
    return select(row, *keys.c).select_from(keys.join(row, id_column == keys.c[id_key])).cte()


def _key_of(matched: FromClause, keys: list[Expr], row_id: int) -> list[Expr]:
    """The sort key of the cursor's row, read from the list (the id is the last term)."""
    return [select(key).where(keys[-1] == literal(row_id)).scalar_subquery() for key in keys[:-1]] + [
        literal(row_id)
    ]


def _window(plan: Page, terms: list[Term], matched: FromClause, keys: list[Expr]) -> Select[Any]:
    window = plan.window
    conditions = []
    if window.after is not None:
        conditions.append(keyset_after(keys, terms, _key_of(matched, keys, window.after)))
    if window.before is not None:
        conditions.append(keyset_after(_key_of(matched, keys, window.before), terms, keys))
    forward = [term.ordering(key) for term, key in zip(terms, keys, strict=True)]
    backward = [term.ordering(key, reverse=True) for term, key in zip(terms, keys, strict=True)]
    selected = select(matched).where(*conditions)
    if window.first is None:
        return selected.order_by(*backward).limit(window.last)
    selected = selected.order_by(*forward).limit(window.first)
    if window.last is None:
        return selected
    firsts = selected.subquery()
    return (
        select(firsts)
        .order_by(*[t.ordering(firsts.c[f"__k{i}"], reverse=True) for i, t in enumerate(terms)])
        .limit(window.last)
    )


def _edge_key(page: FromClause, terms: list[Term], last: bool) -> list[Expr]:
    """The key of the page's first (or last) row, as scalar subqueries."""
    order = [t.ordering(page.c[f"__k{i}"], reverse=last) for i, t in enumerate(terms)]
    return [select(page.c[f"__k{i}"]).order_by(*order).limit(1).scalar_subquery() for i in range(len(terms))]


def _page_parts(plan: Page) -> _PageParts:
    """Filter, order by the sort key, cut the page with LIMIT: stated once for both executors."""
    terms = page_terms(plan.entity, plan.rows)
    table = _table_of(plan.rows.row)
    matched, keys = _page_rows(plan, terms, table)
    page = _page_of(plan, _window(plan, terms, matched, keys), table, f"__k{len(terms) - 1}")
    page_keys = [page.c[f"__k{i}"] for i in range(len(terms))]
    order = [t.ordering(k) for t, k in zip(terms, page_keys, strict=True)]
    row_cursor = cursor(constant(plan.entity), page_keys[-1])
    nonempty = exists(select(page.c[page_keys[0].name]))
    any_after = exists(select(keys[0]).where(keyset_after(keys, terms, _edge_key(page, terms, last=True))))
    any_before = exists(select(keys[0]).where(keyset_after(_edge_key(page, terms, last=False), terms, keys)))
    after = plan.window.after
    after_start = exists(
        select(keys[0]).where(*([keyset_after(keys, terms, _key_of(matched, keys, after))] if after else []))
    )
    first_cursor = select(row_cursor).order_by(*order).limit(1).scalar_subquery()
    last_cursor = (
        select(row_cursor)
        .order_by(*[t.ordering(k, reverse=True) for t, k in zip(terms, page_keys, strict=True)])
        .limit(1)
        .scalar_subquery()
    )
    return _PageParts(
        page=page,
        order=order,
        cursor=row_cursor,
        total=select(func.count()).select_from(matched).scalar_subquery(),
        # Empty page: whether rows follow where it would start, and whether it started after a cursor.
        has_next=case((nonempty, any_after), else_=after_start),
        has_previous=case((nonempty, any_before), else_=literal(after is not None)),
        start_cursor=first_cursor,
        end_cursor=last_cursor,
    )


def _page_info_json(parts: _PageParts, picks: tuple[Pick, ...]) -> Expr:
    expressions = {
        "has_next": parts.has_next,
        "has_previous": parts.has_previous,
        "start_cursor": parts.start_cursor,
        "end_cursor": parts.end_cursor,
    }
    return json_object(
        [(p.key, json_string(p.name) if p.kind == "const" else expressions[p.kind]) for p in picks]
    )


def page_json(plan: Page, shape: ConnectionShape) -> Expr:
    parts = _page_parts(plan)
    pairs: list[tuple[str, Expr]] = []
    for pick in shape.picks:
        if pick.kind == "const":
            pairs.append((pick.key, json_string(pick.name)))
        elif pick.kind == "total":
            pairs.append((pick.key, parts.total))
        elif pick.kind == "page_info":
            pairs.append((pick.key, _page_info_json(parts, pick.picks)))
        else:
            pairs.append((pick.key, _page_items_json(parts, pick)))
    return select(json_object(pairs)).scalar_subquery()


def _page_items_json(parts: _PageParts, pick: Pick) -> Expr:
    page = parts.page
    if pick.kind == "nodes":
        assert isinstance(pick.shape, ObjectShape)
        item = object_json(pick.shape, page)
    else:
        edge_pairs: list[tuple[str, Expr]] = []
        for edge_pick in pick.picks:
            if edge_pick.kind == "const":
                edge_pairs.append((edge_pick.key, json_string(edge_pick.name)))
            elif edge_pick.kind == "cursor":
                edge_pairs.append((edge_pick.key, parts.cursor))
            else:
                assert isinstance(edge_pick.shape, ObjectShape)
                edge_pairs.append((edge_pick.key, object_json(edge_pick.shape, page)))
        item = json_object(edge_pairs)
    return json_array(select(item).select_from(page).order_by(*parts.order))


def root_json(plan: RootPlan | None, shape: Shape) -> Expr:
    if plan is None:
        return JSON_NULL
    if isinstance(plan, TypeName):
        return json_string(plan.name)
    if isinstance(plan, Page):
        assert isinstance(shape, ConnectionShape)
        return page_json(plan, shape)
    if isinstance(plan, Each):
        items = [root_json(item, shape) for item in plan.items]
        return json_list(items)
    if isinstance(shape, PolymorphicShape):
        shape = shape.shapes[plan.entity]
    assert isinstance(shape, ObjectShape)
    return one_json(plan, shape) if isinstance(plan, One) else many_json(plan, shape)


def operation_statement(fields: Sequence[tuple[str, RootPlan | None, Shape]]) -> Select[Any]:
    """The whole operation as one statement: a single json value, the response's `data`."""
    return select(json_object([(key, root_json(plan, shape)) for key, plan, shape in fields]))


# --- batches for the reference executor --------------------------------------------


def _row_columns(entity: Entity, row: FromClause) -> list[Label[Any]]:
    columns = [row.c[entity.id_column].label("__id")]
    if entity.key is not None:
        columns.append(global_id(entity.name, entity.key(row)).label("__gid"))
    columns += [value.sql(row).label(name) for name, value in entity.values.items()]
    columns += [row.c[name].label(f"__p_{name}") for name in entity.parent_columns()]
    return columns


def rows_statement(entity_name: str, rows: Rows) -> Select[Any]:
    """Every value of the rows, in order, with the columns their relationships read."""
    entity = ENTITIES[entity_name]
    statement = rows.select_from(*_row_columns(entity, rows.row)).order_by(*rows.order_by)
    return statement.limit(rows.limit) if rows.limit is not None else statement


def page_statement(plan: Page) -> Select[Any]:
    """The page's rows with their cursors, and the paging state on every row (one row if empty)."""
    entity = ENTITIES[plan.entity]
    parts = _page_parts(plan)
    state = select(
        parts.total.label("__total"),
        parts.has_next.label("__has_next"),
        parts.has_previous.label("__has_previous"),
        parts.start_cursor.label("__start_cursor"),
        parts.end_cursor.label("__end_cursor"),
    ).subquery("state")
    rank = func.row_number().over(order_by=parts.order).label("__rank")
    items = select(*_row_columns(entity, parts.page), parts.cursor.label("__cursor"), rank).subquery("items")
    return select(state, items).select_from(state.outerjoin(items, true())).order_by(items.c.__rank)


def relation_batch_statement(
    parent: Entity, relation: Relation, keys: Sequence[tuple[Any, ...]], limit: int | None = None
) -> Select[Any]:
    """The relation's rows for many parents at once: one statement, rows tagged `__parent`."""
    parent_row = parent.alias()
    columns = []
    arrays = []
    for index, name in enumerate(relation.parent_columns):
        sql_type = parent_row.c[name].type
        columns.append(column(name, sql_type))
        arrays.append(_array_param(f"k{index}", [key[index] for key in keys], sql_type))
    parents = (
        func.unnest(*arrays)
        .table_valued(*columns, with_ordinality="__parent")
        .render_derived(name="parents", with_types=False)
    )
    rows = relation.rows(parents)
    target = ENTITIES[relation.target]
    rank = func.row_number().over(order_by=list(rows.order_by) or None).label("__rank")
    inner = rows.select_from(*_row_columns(target, rows.row), rank)
    if relation.single or limit is not None:
        inner = inner.order_by(*rows.order_by).limit(1 if relation.single else limit)
    child = inner.lateral("child")
    return (
        select(parents.c.__parent, child)
        .select_from(parents.join(child, true()))
        .order_by(parents.c.__parent, child.c.__rank)
    )


def _array_param(name: str, values: list[Any], sql_type: Any) -> Expr:
    return bindparam(name, values, type_=ARRAY(sql_type))


def by_ids_statement(entity_name: str, ids: Sequence[int]) -> Select[Any]:
    entity = ENTITIES[entity_name]
    row = entity.alias()
    return select(*_row_columns(entity, row)).where(
        row.c[entity.id_column] == any_(_array_param("ids", list(ids), Integer))
    )


# --- compiling ---------------------------------------------------------------------
