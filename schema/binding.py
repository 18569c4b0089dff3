"""Variables bound as statement parameters, so a new value costs no planning.

An operation is planned once per *skeleton* of its variables: their structure with every
string replaced by a marker. To learn which parameters carry which string variable, the
planner runs once more with each string replaced by a distinct sentinel; a parameter
holding exactly a sentinel is bound to that variable from then on. A string the plan
transforms, validates or builds structure from (a cursor, a search text that is
trimmed, an enum name) is *structural* instead: its value becomes part of the cache key.
Numbers, booleans and enum names are always structural (page sizes, directives, filter
values): enum leaves are known by their GraphQL type and never probed. Parameters whose
value no probed string changes hold only structural values; the engine writes them into
the statement's text, so PostgreSQL plans with the values themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    type_from_ast,
)

Path = tuple[str | int, ...]
MARKER = "\ue000s"


def _sentinel(index: int) -> str:
    # Spaces, mixed case and LIKE wildcards around it: a plan that trims, folds case or
    # escapes a value changes the sentinel, so that value is found to be structural.
    return f" %_\ue000Var{index}\ue001_% "


def _core(index: int) -> str:
    return f"var{index}\ue001"


def skeleton(value: Any) -> Any:
    """The variables with every string replaced by one marker."""
    if isinstance(value, dict):
        return {k: skeleton(v) for k, v in value.items()}
    if isinstance(value, list):
        return [skeleton(v) for v in value]
    if isinstance(value, str):
        return MARKER
    return value


def string_leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    if isinstance(value, dict):
        for k in sorted(value):
            yield from string_leaves(value[k], (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_leaves(v, (*path, i))
    elif isinstance(value, str):
        yield path, value


def at(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def replaced(value: Any, replacements: dict[Path, str], path: Path = ()) -> Any:
    if isinstance(value, dict):
        return {k: replaced(v, replacements, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [replaced(v, replacements, (*path, i)) for i, v in enumerate(value)]
    return replacements.get(path, value)


def _enum_paths(graphql_type: Any, value: Any, path: Path) -> Iterator[Path]:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if isinstance(graphql_type, GraphQLEnumType) and isinstance(value, str):
        yield path
    elif isinstance(graphql_type, GraphQLList) and not isinstance(value, list):
        # a single value where a list is expected: coerced as a list of one
        yield from _enum_paths(graphql_type.of_type, value, path)
    elif isinstance(graphql_type, GraphQLList):
        for index, item in enumerate(value):
            yield from _enum_paths(graphql_type.of_type, item, (*path, index))
    elif isinstance(graphql_type, GraphQLInputObjectType) and isinstance(value, dict):
        for name, item in value.items():
            field = graphql_type.fields.get(name)
            if field is not None:
                yield from _enum_paths(field.type, item, (*path, name))


def enum_leaves(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> frozenset[Path]:
    """The string leaves that are enum names, by the variables' declared types."""
    found: set[Path] = set()
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        declared: GraphQLInputType | None = type_from_ast(schema, definition.type)  # type: ignore[assignment]
        if declared is not None and name in variables:
            found.update(_enum_paths(declared, variables[name], (name,)))
    return frozenset(found)


def probe_variables(variables: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """The variables with each of these string leaves replaced by a distinct sentinel."""
    probed: dict[str, Any] = replaced(variables, {p: _sentinel(i) for i, p in enumerate(paths)})
    return probed


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


@dataclass(frozen=True)
class Bindings:
    """Which parameters take which variable, and which string variables shape the statement."""

    parameters: tuple[tuple[int, Path], ...]
    structural: frozenset[Path]
    fixed: frozenset[int] = frozenset()  # parameters no probed string changes


def _list_binding(
    paths: list[Path], real_value: Any, probe_value: Any, variables: dict[str, Any]
) -> Path | None:
    """The variable list a list parameter carries unchanged (e.g. endpoint codes), or None."""
    if not isinstance(probe_value, list | tuple) or not probe_value:
        return None
    indices = [next((i for i in range(len(paths)) if item == _sentinel(i)), None) for item in probe_value]
    if any(index is None for index in indices):
        return None
    parent = paths[indices[0]][:-1]  # type: ignore[index]
    expected = [(*parent, position) for position in range(len(probe_value))]
    if [paths[i] for i in indices] != expected or list(real_value) != at(variables, parent):  # type: ignore[index]
        return None
    return parent


def find_bindings(
    paths: list[Path], real: list[Any], probe: list[Any], variables: dict[str, Any]
) -> Bindings:
    """Compare the parameters planned with real values and with sentinels (same statement text)."""
    bound: dict[Path, list[int]] = {}
    covered: set[Path] = set()  # leaves carried by a bound variable (themselves or their list)
    structural: set[Path] = set()
    fixed: set[int] = set()
    for position, (real_value, probe_value) in enumerate(zip(real, probe, strict=True)):
        if type(real_value) is type(probe_value) and real_value == probe_value:
            fixed.add(position)
            continue
        whole_list = _list_binding(paths, real_value, probe_value, variables)
        if whole_list is not None:
            bound.setdefault(whole_list, []).append(position)
            covered |= {p for p in paths if p[:-1] == whole_list}
            continue
        for index, path in enumerate(paths):
            if probe_value == _sentinel(index) and real_value == at(variables, path):
                bound.setdefault(path, []).append(position)
                covered.add(path)
            elif any(_core(index) in text.lower() for text in _strings(probe_value)):
                structural.add(path)  # used, but not as it is
    structural |= {p for p in paths if p not in covered}
    parameters = tuple(
        (position, path)
        for path, positions in bound.items()
        if not any(leaf in structural for leaf in paths if leaf[: len(path)] == path)
        for position in positions
    )
    return Bindings(parameters, frozenset(structural), frozenset(fixed))


def structural_values(variables: dict[str, Any], structural: frozenset[Path]) -> tuple[tuple[Path, str], ...]:
    """The structural strings of variables of a known skeleton (each path leads to a
    string), in the order of `string_leaves`: sorted paths."""
    return tuple((path, at(variables, path)) for path in sorted(structural)) if structural else ()


def bind(
    arguments: list[Any], parameters: tuple[tuple[int, Path], ...], variables: dict[str, Any]
) -> list[Any]:
    for position, path in parameters:
        arguments[position] = at(variables, path)
    return arguments
