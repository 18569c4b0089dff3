"""Search as scoring every name would answer it: the service's own search statement with the
candidates of schema/sql/search.sql (its index conditions) replaced by every row of a name
field, besides the full-text and whole-text matches of every field (titles, descriptions,
mechanisms and diseases are found by full text only). The same answers show that the index
conditions lose no hit."""

from __future__ import annotations

import random
import re
from typing import Any

import asyncpg

from bench.queries import SEARCH
from bench.statements import Compiler, OurStatement

# The candidates CTE: its first part (full text or the whole text, with the `types` filter),
# then the parts on names, up to the end of the CTE.
CANDIDATES = re.compile(
    r"(?P<first>candidates AS \(\n.*?\n    WHERE (?P<types>[^\n]*)\n"
    r"      AND \(d\.document @@ q\.ts OR d\.lower_text = q\.raw\)\n).*?\n\),\n",
    re.S,
)


def _every_name(match: re.Match[str]) -> str:
    return (
        match["first"] + "    UNION ALL\n"
        "    SELECT d.ctid AS row_address, d.* FROM search_index d, q\n"
        f"    WHERE {match['types']}\n"
        "      AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')\n"
        "      AND NOT (d.document @@ q.ts OR d.lower_text = q.raw)\n),\n"
    )


def scoring_every_name(statement: OurStatement) -> OurStatement:
    sql, replaced = CANDIDATES.subn(_every_name, statement.sql)
    assert replaced == 1, "the candidates of search.sql are no longer where this expects them"
    return OurStatement(sql, statement.arguments)


async def assert_search_loses_no_hit(url: str, drawn: int, seed: int, picked: list[dict[str, Any]]) -> None:
    """`drawn` benchmark search texts (typos, words, prefixes) and the `picked` variables answer
    the same as when every name is scored."""
    compiler = Compiler()
    connection = await asyncpg.connect(url)
    try:
        samples = [s.ours for s in await SEARCH.sample(connection, random.Random(seed), drawn)]
        for variables in [*samples, *picked]:
            statement = compiler.statement(SEARCH.document, variables)
            answer = await connection.fetchval(statement.sql, *statement.arguments)
            every_name = scoring_every_name(statement)
            assert answer == await connection.fetchval(every_name.sql, *every_name.arguments), variables
    finally:
        await connection.close()
