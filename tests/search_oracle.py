"""Search as scoring every name would answer it: the service's own search statement with the
candidate conditions of schema/sql/search.sql (its index conditions) replaced by every row of
a name field, plus the full-text and whole-text matches of the long texts (titles,
descriptions, mechanisms, diseases), which search finds by full text only. The same answers
show that the index conditions lose no hit."""

from __future__ import annotations

import re

from bench.statements import OurStatement

CANDIDATE_CONDITIONS = re.compile(r"AND \(d\.document @@ q\.ts\n.*?\)\n\),", re.S)
EVERY_NAME = (
    "AND (d.document @@ q.ts OR d.lower_text = q.raw"
    " OR d.field NOT IN ('title', 'description', 'mechanism', 'disease'))\n),"
)


def scoring_every_name(statement: OurStatement) -> OurStatement:
    sql, replaced = CANDIDATE_CONDITIONS.subn(EVERY_NAME, statement.sql)
    assert replaced == 1, "the candidate conditions of search.sql are no longer where this expects them"
    return OurStatement(sql, statement.arguments)
