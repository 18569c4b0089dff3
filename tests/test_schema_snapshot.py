"""The committed schema.graphql is the schema the code builds; every element is described."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from config.settings import PROJECT_ROOT
from schema.schema import schema


def test_schema_graphql_matches_the_code() -> None:
    committed = (PROJECT_ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "run `python -m api export-schema` and commit schema.graphql"


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
            "Date",
            "DateTime",
        }:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                if not value.description:
                    missing.append(f"{name}.{value_name}")
    assert missing == []
