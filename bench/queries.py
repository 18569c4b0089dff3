"""The benchmark queries: each as our service takes it (one document, values as GraphQL
variables; `ours` is the repeated request with its values inlined), as PostGraphile v5 takes it (the same
rows in the same order: explicit orderBy, the same agent -> agent_trials -> trial path), as
the raw baseline's best hand-written statement, and how varied values are drawn from the
data.

`graphile_data` maps PostGraphile's answer onto our shape field by field (connections to
lists, numeric strings to numbers, stored enum values to enum names), so the two `data`
objects can be compared whole: order, duplicates and every field included.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from graphql import (
    REMOVE,
    ArgumentNode,
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_nullable_type,
    parse,
    print_ast,
    type_from_ast,
    visit,
)

from db.vocabularies import ANALYSIS, MODALITY, PHASE, TRIAL_SETTING, TRIAL_STATUS, Vocabulary

Variables = dict[str, Any]


@dataclass(frozen=True)
class Sample:
    """One request's values: our variables (also the raw baseline's) and PostGraphile's."""

    ours: Variables
    graphile: Variables


@dataclass(frozen=True)
class RawStatement:
    sql: str
    arguments: list[Any]


Sampler = Callable[[asyncpg.Connection, random.Random, int], Awaitable[list[Sample]]]


@dataclass(frozen=True)
class BenchQuery:
    name: str
    document: str  # what our service (and the raw baseline) is sent, with `variables`
    repeated: Sample
    sample: Sampler  # varied values drawn from the data
    graphile: str = ""  # the equivalent PostGraphile v5 document ("" when there is none)
    graphile_data: Callable[[Any], Any] = field(default=lambda data: data)
    raw: Callable[[Variables], RawStatement] | None = None  # the raw baseline's statement
    ours_only: bool = False  # no equivalent elsewhere: compared with `relative_to` on our server
    relative_to: str = ""

    def body(self, sample: Sample, graphile: bool = False) -> dict[str, Any]:
        """A request body as GraphQL clients send one: the document, its operation's name and
        the variables (PostGraphile's own document and values with `graphile`)."""
        document = self.graphile if graphile else self.document
        named = re.match(r"\s*query\s+(\w+)", document)
        return {
            "query": document,
            "operationName": named.group(1) if named else None,
            "variables": sample.graphile if graphile else sample.ours,
        }

    @property
    def ours(self) -> str:
        """The repeated request as one document without variables (tests/test_engine.py runs it
        on both executors)."""
        return inline(self.document, json.dumps(self.repeated.ours, sort_keys=True))


@functools.cache
def _schema() -> GraphQLSchema:
    from schema.schema import build_schema

    built: GraphQLSchema = build_schema()._schema
    return built


def literal(value: Any, type_: Any) -> ValueNode:
    """A GraphQL literal of a variable's JSON value of input type `type_`."""
    type_ = get_nullable_type(type_)
    if value is None:
        return NullValueNode()
    if isinstance(type_, GraphQLList):
        return ListValueNode(values=tuple(literal(v, type_.of_type) for v in value))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [
            ObjectFieldNode(name=NameNode(value=k), value=literal(v, type_.fields[k].type))
            for k, v in value.items()
        ]
        return ObjectValueNode(fields=tuple(fields))
    if isinstance(type_, GraphQLEnumType):
        return EnumValueNode(value=value)
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    if isinstance(value, float):
        return FloatValueNode(value=repr(value))
    return StringValueNode(value=value)


@functools.cache
def inline(document: str, variables_json: str) -> str:
    """The document with its variables replaced by their values as literals (an argument whose
    variable has no value is left out)."""
    variables = json.loads(variables_json)
    tree = parse(document)
    operation = tree.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    definitions = operation.variable_definitions or ()
    types = {d.variable.name.value: type_from_ast(_schema(), d.type) for d in definitions}

    class Inline(Visitor):
        def enter_variable_definition(self, *_: Any) -> Any:
            return REMOVE

        def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
            if isinstance(node.value, VariableNode) and node.value.name.value not in variables:
                return REMOVE
            return None

        def enter_variable(self, node: VariableNode, *_: Any) -> Any:
            return literal(variables[node.name.value], types[node.name.value])

    return print_ast(visit(tree, Inline()))


# -- shared mapping helpers ------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """PostGraphile sends numeric columns as strings; ours sends JSON numbers."""
    return None if value is None else float(value)


def _names(vocabulary: Vocabulary) -> dict[str, str]:
    return {term.value: term.name for term in vocabulary.terms}


def _values(vocabulary: Vocabulary) -> dict[str, str]:
    return {term.name: term.value for term in vocabulary.terms}


ANALYSIS_NAMES = _names(ANALYSIS)


def _enum(names: dict[str, str], value: str | None) -> str | None:
    return None if value is None else names[value]


def _nodes(connection: dict[str, Any]) -> list[Any]:
    nodes: list[Any] = connection["nodes"]
    return nodes


# -- nested: agents -> trials -> outcomes -> arm results ------------------------------------

NESTED_OURS = """query Nested($first: Int!, $filter: AgentFilter) {
  agents(first: $first, filter: $filter) { nodes { name trials { acronym
    outcomes { slug analysis hazardRatio armResults { median rate } } } } } }"""

NESTED_GRAPHILE = """query Nested($first: Int!, $condition: AgentCondition) {
  allAgents(first: $first, condition: $condition, orderBy: [NAME_ASC, ROW_ID_ASC]) { nodes { name
    benchAgentTrialsByAgentId(first: 100, orderBy: [START_DATE_ASC, SLUG_ASC]) { nodes { trialByTrialId {
      acronym
      outcomesByTrialId(first: 100, orderBy: [POSITION_ASC]) { nodes { slug analysis hazardRatio
        outcomeArmResultsByOutcomeId(first: 100, orderBy: [POSITION_ASC]) { nodes { median rate } } } } } } } } } }"""


def _nested_graphile_data(data: Any) -> Any:
    def outcome(o: dict[str, Any]) -> dict[str, Any]:
        return {
            "slug": o["slug"],
            "analysis": _enum(ANALYSIS_NAMES, o["analysis"]),
            "hazardRatio": _number(o["hazardRatio"]),
            "armResults": [
                {"median": _number(r["median"]), "rate": _number(r["rate"])}
                for r in _nodes(o["outcomeArmResultsByOutcomeId"])
            ],
        }

    def trial(t: dict[str, Any]) -> dict[str, Any]:
        return {"acronym": t["acronym"], "outcomes": [outcome(o) for o in _nodes(t["outcomesByTrialId"])]}

    return {
        "agents": {
            "nodes": [
                {
                    "name": a["name"],
                    "trials": [trial(x["trialByTrialId"]) for x in _nodes(a["benchAgentTrialsByAgentId"])],
                }
                for a in _nodes(data["allAgents"])
            ]
        }
    }


NESTED_RAW = """
SELECT json_build_object('agents', json_build_object('nodes', coalesce(json_agg(
  json_build_object('name', a.name, 'trials', (
    SELECT coalesce(json_agg(json_build_object('acronym', t.acronym, 'outcomes', (
      SELECT coalesce(json_agg(json_build_object(
        'slug', o.slug,
        'analysis', upper(o.analysis),
        'hazardRatio', o.hazard_ratio::float8,
        'armResults', (SELECT coalesce(json_agg(json_build_object('median', r.median::float8, 'rate', r.rate::float8)
                        ORDER BY r.position), '[]') FROM outcome_arm_results r WHERE r.outcome_id = o.id)
      ) ORDER BY o.position), '[]') FROM outcomes o WHERE o.trial_id = t.id)
    ) ORDER BY t.start_date NULLS LAST, t.slug), '[]')
    FROM agent_trials x JOIN trials t ON t.id = x.trial_id WHERE x.agent_id = a.id)
  ) ORDER BY lower(a.name), a.id), '[]')))::text
FROM (SELECT id, name FROM agents
      WHERE $2::text[] IS NULL OR modality = ANY($2::text[])
      ORDER BY lower(name), id LIMIT $1) a
"""


def _modalities(variables: Variables) -> list[str] | None:
    chosen = (variables.get("filter") or {}).get("modalities")
    return None if chosen is None else [_values(MODALITY)[m] for m in chosen]


def _nested_raw(variables: Variables) -> RawStatement:
    return RawStatement(NESTED_RAW, [variables.get("first", 20), _modalities(variables)])


async def _nested_samples(connection: asyncpg.Connection, rng: random.Random, count: int) -> list[Sample]:
    present = [r[0] for r in await connection.fetch("SELECT DISTINCT modality FROM agents ORDER BY 1")]
    samples = []
    for _ in range(count):
        first = rng.choice([5, 10, 15, 20])
        modality = rng.choice([None, *present])
        if modality is None:
            samples.append(Sample({"first": first}, {"first": first}))
        else:
            ours = {"first": first, "filter": {"modalities": [_names(MODALITY)[modality]]}}
            samples.append(Sample(ours, {"first": first, "condition": {"modality": modality}}))
    return samples


NESTED = BenchQuery(
    name="nested",
    document=NESTED_OURS,
    repeated=Sample({"first": 20}, {"first": 20}),
    sample=_nested_samples,
    graphile=NESTED_GRAPHILE,
    graphile_data=_nested_graphile_data,
    raw=_nested_raw,
)

# The nested query with a computed field added: it must cost about the same (one statement).
NESTED_WITH_GROUPS = BenchQuery(
    name="nested + trialGroups",
    document="""query NestedGroups($first: Int!, $filter: AgentFilter) {
  agents(first: $first, filter: $filter) { nodes { name trials { acronym
    outcomes { slug analysis hazardRatio armResults { median rate } } }
    trialGroups { phase indication { name } trials { acronym } } } } }""",
    repeated=Sample({"first": 20}, {}),
    sample=_nested_samples,
    ours_only=True,
    relative_to="nested",
)

# -- filtered list ----------------------------------------------------------------------------

LIST_OURS = """query List($first: Int!, $filter: TrialFilter, $orderBy: TrialOrder) {
  trials(first: $first, filter: $filter, orderBy: $orderBy) { totalCount nodes { acronym nctId enrollment } } }"""

LIST_GRAPHILE = """query List($first: Int!, $condition: TrialCondition, $orderBy: [TrialOrderBy!]) {
  allTrials(first: $first, condition: $condition, orderBy: $orderBy) {
    totalCount nodes { acronym nctId enrollment } } }"""

# Our filter key -> (PostGraphile condition field, trials column, vocabulary)
LIST_FILTERS: dict[str, tuple[str, str, Vocabulary]] = {
    "phases": ("phase", "phase", PHASE),
    "settings": ("setting", "setting", TRIAL_SETTING),
    "statuses": ("status", "status", TRIAL_STATUS),
}
# Our order field -> (PostGraphile orderBy, trials column)
LIST_ORDERS = {"ENROLLMENT": ("ENROLLMENT_ASC", "enrollment"), "START_DATE": ("START_DATE_ASC", "start_date")}


def _list_graphile_data(data: Any) -> Any:
    trials = data["allTrials"]
    return {"trials": {"totalCount": trials["totalCount"], "nodes": _nodes(trials)}}


def _list_raw(variables: Variables) -> RawStatement:
    filters = variables.get("filter") or {}
    conditions, arguments = [], []
    for key, (_, column, vocabulary) in LIST_FILTERS.items():
        if filters.get(key) is not None:
            arguments.append([_values(vocabulary)[v] for v in filters[key]])
            conditions.append(f"{column} = ANY(${len(arguments)}::text[])")  # fixed column names
    where = " AND ".join(conditions) or "true"
    order = LIST_ORDERS[(variables.get("orderBy") or {}).get("field", "ENROLLMENT")][1]
    arguments.append(variables.get("first", 10))
    sql = f"""
SELECT json_build_object('trials', json_build_object(
  'totalCount', (SELECT count(*) FROM trials WHERE {where}),
  'nodes', coalesce(json_agg(json_build_object('acronym', t.acronym, 'nctId', t.nct_id,
                                               'enrollment', t.enrollment) ORDER BY t.{order}, t.id), '[]')))::text
FROM (SELECT id, acronym, nct_id, enrollment, start_date FROM trials WHERE {where}
      ORDER BY {order}, id LIMIT ${len(arguments)}) t
"""
    return RawStatement(sql, arguments)


async def _list_samples(connection: asyncpg.Connection, rng: random.Random, count: int) -> list[Sample]:
    combos = await connection.fetch("SELECT DISTINCT phase, setting, status FROM trials ORDER BY 1, 2, 3")
    samples = []
    for _ in range(count):
        combo = rng.choice(combos)
        keys = rng.choice(
            [("phases",), ("settings",), ("phases", "settings"), ("statuses",), ("phases", "statuses")]
        )
        keys = tuple(k for k in keys if combo[LIST_FILTERS[k][1]] is not None)
        ours_filter = {k: [_names(LIST_FILTERS[k][2])[combo[LIST_FILTERS[k][1]]]] for k in keys}
        condition = {LIST_FILTERS[k][0]: combo[LIST_FILTERS[k][1]] for k in keys}
        first = rng.choice([5, 10, 20])
        order = rng.choice(list(LIST_ORDERS))
        ours = {"first": first, "filter": ours_filter, "orderBy": {"field": order}}
        graphile = {"first": first, "condition": condition, "orderBy": [LIST_ORDERS[order][0], "ROW_ID_ASC"]}
        samples.append(Sample(ours, graphile))
    return samples


LIST = BenchQuery(
    name="filtered list",
    document=LIST_OURS,
    repeated=Sample(
        {"first": 10, "filter": {"phases": ["PHASE_3"]}, "orderBy": {"field": "ENROLLMENT"}},
        {"first": 10, "condition": {"phase": "3"}, "orderBy": ["ENROLLMENT_ASC", "ROW_ID_ASC"]},
    ),
    sample=_list_samples,
    graphile=LIST_GRAPHILE,
    graphile_data=_list_graphile_data,
    raw=_list_raw,
)

# -- lookup by any name -----------------------------------------------------------------------

LOOKUP_OURS = """query Lookup($name: String!) {
  agent(name: $name) { name brandNames modality } }"""

# PostGraphile has no "any name" argument: it follows the same identifier table (entity_names,
# lower-cased names) to the agent; the client lower-cases the name.
LOOKUP_GRAPHILE = """query Lookup($name: String!) {
  allEntityNames(condition: {type: "AGENT", name: $name}) { nodes { agentByEntityId { name brandNames modality } } } }"""

LOOKUP_RAW = """
SELECT json_build_object('agent', (
  SELECT json_build_object('name', a.name, 'brandNames', a.brand_names, 'modality', upper(a.modality))
  FROM entity_names n JOIN agents a ON a.id = n.entity_id
  WHERE n.type = 'AGENT' AND n.name = lower($1)
  ORDER BY a.name LIMIT 1))::text
"""


def _lookup_graphile_data(data: Any) -> Any:
    agents = [n["agentByEntityId"] for n in _nodes(data["allEntityNames"])]
    if len(agents) != 1:
        return {"agent": agents or None}  # differs from ours unless no agent was found
    agent = agents[0]
    return {
        "agent": {
            "name": agent["name"],
            "brandNames": agent["brandNames"],
            "modality": _enum(_names(MODALITY), agent["modality"]),
        }
    }


# Names that lead to exactly one agent: the same answer from every server.
LOOKUP_NAMES = """
SELECT x.name, lower(x.name) AS lowered
FROM agents a CROSS JOIN LATERAL unnest(ARRAY[a.name] || a.synonyms || a.brand_names || a.code_names) AS x (name)
WHERE (SELECT count(DISTINCT n.entity_id) FROM entity_names n WHERE n.type = 'AGENT' AND n.name = lower(x.name)) = 1
ORDER BY md5(x.name)
LIMIT $1
"""


def _cased(rng: random.Random, text: str) -> str:
    return rng.choice([text, text, text.lower(), text.upper()])


async def _lookup_samples(connection: asyncpg.Connection, rng: random.Random, count: int) -> list[Sample]:
    rows = await connection.fetch(LOOKUP_NAMES, count)
    samples = []
    for _ in range(count):
        row = rng.choice(rows)
        samples.append(Sample({"name": _cased(rng, row["name"])}, {"name": row["lowered"]}))
    return samples


LOOKUP = BenchQuery(
    name="lookup",
    document=LOOKUP_OURS,
    repeated=Sample({"name": "fam-trastuzumab-deruxtecan"}, {"name": "fam-trastuzumab-deruxtecan"}),
    sample=_lookup_samples,
    graphile=LOOKUP_GRAPHILE,
    graphile_data=_lookup_graphile_data,
    raw=lambda variables: RawStatement(LOOKUP_RAW, [variables.get("name", "fam-trastuzumab-deruxtecan")]),
)

# -- search and typeahead (the service's own SQL as functions for PostGraphile and raw) -------

SEARCH_OURS = """query Search($query: String!, $first: Int!) {
  search(query: $query, first: $first) { type label score matchedField } }"""

SEARCH_GRAPHILE = """query Search($query: String!, $first: Int!) {
  benchSearch(searchQuery: $query, searchFirst: $first) { nodes { type label score field } } }"""

SUGGEST_OURS = """query Suggest($prefix: String!, $first: Int!) {
  suggest(prefix: $prefix, first: $first) { type label score matchedField } }"""

SUGGEST_GRAPHILE = """query Suggest($prefix: String!, $first: Int!) {
  benchSuggest(suggestPrefix: $prefix, suggestFirst: $first) { nodes { type label score field } } }"""

HITS_RAW = """
SELECT json_build_object('{root}', coalesce(json_agg(json_build_object(
  'type', h.type, 'label', h.label, 'score', h.score, 'matchedField', h.field) ORDER BY h.rank), '[]'))::text
FROM {function}($1, $2) h
"""


def _hits_graphile_data(root: str, graphile_root: str) -> Callable[[Any], Any]:
    def mapped(data: Any) -> Any:
        return {
            root: [
                {"type": h["type"], "label": h["label"], "score": h["score"], "matchedField": h["field"]}
                for h in _nodes(data[graphile_root])
            ]
        }

    return mapped


SEARCH_TEXTS = """
SELECT text FROM search_index
WHERE field IN ('name', 'synonym', 'brandName', 'acronym') AND length(text) BETWEEN 5 AND 40
  AND text !~ '[^ -~]'  -- printable ASCII: the search matches letters and digits a-z, 0-9
ORDER BY md5(text || id::text)
LIMIT $1
"""


def typo(rng: random.Random, text: str) -> str:
    """One slip of the keyboard: a vowel swapped, a letter dropped, doubled or transposed."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:-1])
    kind = rng.choice(["vowel", "drop", "double", "swap"])
    if kind == "vowel" and text[i].lower() in "aeiou":
        return text[:i] + rng.choice([v for v in "aeiou" if v != text[i].lower()]) + text[i + 1 :]
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[: i + 1] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


async def _search_samples(connection: asyncpg.Connection, rng: random.Random, count: int) -> list[Sample]:
    texts = [r[0] for r in await connection.fetch(SEARCH_TEXTS, count)]
    samples = []
    for _ in range(count):
        text = rng.choice(texts)
        query = rng.choice(
            [typo(rng, text), typo(rng, text).lower(), text.split()[0], text[: max(5, len(text) // 2)]]
        )
        first = rng.choice([5, 10])
        samples.append(Sample({"query": query, "first": first}, {"query": query, "first": first}))
    return samples


SEARCH = BenchQuery(
    name="search",
    document=SEARCH_OURS,
    repeated=Sample({"query": "trastuzamab", "first": 5}, {"query": "trastuzamab", "first": 5}),
    sample=_search_samples,
    graphile=SEARCH_GRAPHILE,
    graphile_data=_hits_graphile_data("search", "benchSearch"),
    raw=lambda variables: RawStatement(
        HITS_RAW.format(root="search", function="bench_search"),  # fixed names
        [variables.get("query", "trastuzamab").strip(), variables.get("first", 5)],
    ),
)

SUGGEST_TEXTS = """
SELECT text FROM search_index
WHERE field IN ('name', 'synonym', 'brandName', 'codeName', 'acronym', 'nctId') AND length(text) >= 4
  AND text !~ '[^ -~]'  -- printable ASCII, as for search
ORDER BY md5(text || id::text)
LIMIT $1
"""


async def _suggest_samples(connection: asyncpg.Connection, rng: random.Random, count: int) -> list[Sample]:
    texts = [r[0] for r in await connection.fetch(SUGGEST_TEXTS, count)]
    samples = []
    for _ in range(count):
        text = rng.choice(texts)
        prefix = _cased(rng, text[: rng.randint(3, min(6, len(text)))])
        first = rng.choice([5, 8])
        samples.append(Sample({"prefix": prefix, "first": first}, {"prefix": prefix, "first": first}))
    return samples


SUGGEST = BenchQuery(
    name="typeahead",
    document=SUGGEST_OURS,
    repeated=Sample({"prefix": "tras", "first": 8}, {"prefix": "tras", "first": 8}),
    sample=_suggest_samples,
    graphile=SUGGEST_GRAPHILE,
    graphile_data=_hits_graphile_data("suggest", "benchSuggest"),
    raw=lambda variables: RawStatement(
        HITS_RAW.format(root="suggest", function="bench_suggest"),  # fixed names
        [variables.get("prefix", "tras").strip(), variables.get("first", 8)],
    ),
)

# -- efficacy ---------------------------------------------------------------------------------

EFFICACY_OURS = """query Efficacy($first: Int!, $filter: OutcomeFilter) {
  efficacy(first: $first, filter: $filter) {
    totalCount nodes { acronym analysis hazardRatio experimentalMedian controlMedian } } }"""

EFFICACY_GRAPHILE = """query Efficacy($first: Int!, $condition: EfficacyRowCondition) {
  allEfficacyRows(first: $first, condition: $condition,
                  orderBy: [START_DATE_ASC, TRIAL_ID_ASC, POSITION_ASC, ROW_ID_ASC]) {
    totalCount nodes { acronym analysis hazardRatio experimentalMedian controlMedian } } }"""


def _efficacy_graphile_data(data: Any) -> Any:
    rows = data["allEfficacyRows"]
    return {
        "efficacy": {
            "totalCount": rows["totalCount"],
            "nodes": [
                {
                    "acronym": r["acronym"],
                    "analysis": _enum(ANALYSIS_NAMES, r["analysis"]),
                    "hazardRatio": _number(r["hazardRatio"]),
                    "experimentalMedian": _number(r["experimentalMedian"]),
                    "controlMedian": _number(r["controlMedian"]),
                }
                for r in _nodes(rows)
            ],
        }
    }


def _efficacy_raw(variables: Variables) -> RawStatement:
    filters = variables.get("filter") or {}
    conditions, arguments = [], []
    if filters.get("endpoints") is not None:
        arguments.append(filters["endpoints"])
        conditions.append(
            f"endpoint_id IN (SELECT id FROM endpoints WHERE code = ANY(${len(arguments)}::text[]))"
        )
    if filters.get("setting") is not None:
        arguments.append(_values(TRIAL_SETTING)[filters["setting"]])
        conditions.append(f"setting = ${len(arguments)}")
    if filters.get("analyses") is not None:
        arguments.append([_values(ANALYSIS)[a] for a in filters["analyses"]])
        conditions.append(f"analysis = ANY(${len(arguments)}::text[])")
    if filters.get("trial") is not None:
        arguments.append(filters["trial"])
        conditions.append(f"nct_id = ${len(arguments)}")
    where = " AND ".join(conditions) or "true"
    arguments.append(variables.get("first", 50))
    sql = f"""
SELECT json_build_object('efficacy', json_build_object(
  'totalCount', (SELECT count(*) FROM efficacy_rows WHERE {where}),
  'nodes', coalesce(json_agg(json_build_object('acronym', e.acronym, 'analysis', upper(e.analysis),
    'hazardRatio', e.hazard_ratio::float8, 'experimentalMedian', e.experimental_median::float8,
    'controlMedian', e.control_median::float8) ORDER BY e.start_date, e.trial_id, e.position, e.id), '[]')))::text
FROM (SELECT * FROM efficacy_rows WHERE {where}
      ORDER BY start_date, trial_id, position, id LIMIT ${len(arguments)}) e
"""
    return RawStatement(sql, arguments)


async def _efficacy_samples(connection: asyncpg.Connection, rng: random.Random, count: int) -> list[Sample]:
    combos = await connection.fetch(
        "SELECT DISTINCT endpoint, setting, analysis FROM efficacy_rows ORDER BY 1, 2, 3"
    )
    trials = [r[0] for r in await connection.fetch(
        "SELECT nct_id FROM trials WHERE nct_id IS NOT NULL ORDER BY md5(nct_id) LIMIT $1", count)]  # fmt: skip
    samples = []
    for _ in range(count):
        first = rng.choice([10, 20, 50])
        if rng.random() < 0.25:
            nct = rng.choice(trials)
            samples.append(
                Sample(
                    {"first": first, "filter": {"trial": nct}}, {"first": first, "condition": {"nctId": nct}}
                )
            )
            continue
        combo = rng.choice(combos)
        ours: Variables = {"endpoints": [combo["endpoint"]]}
        condition: Variables = {"endpoint": combo["endpoint"]}
        if rng.random() < 0.7:
            ours["setting"] = _names(TRIAL_SETTING)[combo["setting"]]
            condition["setting"] = combo["setting"]
        if rng.random() < 0.3:
            ours["analyses"] = [ANALYSIS_NAMES[combo["analysis"]]]
            condition["analysis"] = combo["analysis"]
        samples.append(Sample({"first": first, "filter": ours}, {"first": first, "condition": condition}))
    return samples


EFFICACY = BenchQuery(
    name="efficacy",
    document=EFFICACY_OURS,
    repeated=Sample(
        {"first": 50, "filter": {"endpoints": ["PFS"], "setting": "METASTATIC"}},
        {"first": 50, "condition": {"endpoint": "PFS", "setting": "metastatic"}},
    ),
    sample=_efficacy_samples,
    graphile=EFFICACY_GRAPHILE,
    graphile_data=_efficacy_graphile_data,
    raw=_efficacy_raw,
)

QUERIES = [NESTED, NESTED_WITH_GROUPS, LIST, LOOKUP, SEARCH, EFFICACY, SUGGEST]
BY_DOCUMENT = {q.document: q for q in QUERIES}
