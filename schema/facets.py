"""Aggregate counts for filters ("Phase 3 (24)"), computed in one statement per list."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry

from schema.agents import AgentFilter, agent_where
from schema.context import Context
from schema.enums import DevelopmentStatus, Modality, Phase, TrialSetting, TrialStatus
from schema.trials import TrialFilter, trial_where


@strawberry.type(description="How many items have one value of a field.")
class FacetValue:
    value: str = strawberry.field(description="The value, as a filter takes it (enum name, code or symbol).")
    count: int = strawberry.field(description="Number of matching items.")


@strawberry.type(description="Counts per value of one field.")
class Facet:
    field: str = strawberry.field(description="The field, e.g. `phase`.")
    values: list[FacetValue] = strawberry.field(description="Values with their counts, most frequent first.")


ENUMS: dict[str, type[Enum]] = {
    "phase": Phase,
    "status": TrialStatus,
    "setting": TrialSetting,
    "modality": Modality,
    "developmentStatus": DevelopmentStatus,
}

TRIAL_FACETS_SQL = """
    WITH matched AS (SELECT t.* FROM trials t WHERE {where})
    SELECT 'phase' AS field, phase AS value, count(*) AS count FROM matched GROUP BY phase
    UNION ALL SELECT 'status', coalesce(status, 'unknown'), count(*) FROM matched GROUP BY 2
    UNION ALL SELECT 'setting', setting, count(*) FROM matched GROUP BY setting
    UNION ALL SELECT 'randomised', randomised::text, count(*) FROM matched GROUP BY randomised
    UNION ALL SELECT 'endpoint', e.code, count(DISTINCT m.id)
        FROM matched m JOIN outcomes o ON o.trial_id = m.id JOIN endpoints e ON e.id = o.endpoint_id GROUP BY e.code
    UNION ALL SELECT 'modality', a.modality, count(DISTINCT m.id)
        FROM matched m JOIN agent_trials x ON x.trial_id = m.id JOIN agents a ON a.id = x.agent_id GROUP BY a.modality
    UNION ALL SELECT 'target', g.symbol, count(DISTINCT m.id)
        FROM matched m JOIN agent_trials x ON x.trial_id = m.id JOIN agent_targets y ON y.agent_id = x.agent_id
        JOIN targets g ON g.id = y.target_id GROUP BY g.symbol
    UNION ALL SELECT 'indication', i.slug, count(DISTINCT m.id)
        FROM matched m JOIN trial_indications ti ON ti.trial_id = m.id JOIN indications i ON i.id = ti.indication_id
        GROUP BY i.slug
"""

AGENT_FACETS_SQL = """
    WITH matched AS (SELECT t.* FROM agents t WHERE {where})
    SELECT 'modality' AS field, modality AS value, count(*) AS count FROM matched GROUP BY modality
    UNION ALL SELECT 'developmentStatus', development_status, count(*) FROM matched GROUP BY development_status
    UNION ALL SELECT 'target', g.symbol, count(DISTINCT m.id)
        FROM matched m JOIN agent_targets y ON y.agent_id = m.id JOIN targets g ON g.id = y.target_id GROUP BY g.symbol
    UNION ALL SELECT 'approvedBy', ap.regulator, count(DISTINCT m.id)
        FROM matched m JOIN approvals ap ON ap.agent_id = m.id GROUP BY ap.regulator
    UNION ALL SELECT 'approvedIn', r.region, count(DISTINCT m.id)
        FROM matched m JOIN agent_regional_statuses r ON r.agent_id = m.id AND r.status = 'approved' GROUP BY r.region
"""


def _facets(rows: list[Any]) -> list[Facet]:
    grouped: dict[str, list[FacetValue]] = {}
    for row in rows:
        value = row["value"]
        enum = ENUMS.get(row["field"])
        if enum is not None:
            value = enum(value).name if value in {m.value for m in enum} else value.upper()
        grouped.setdefault(row["field"], []).append(FacetValue(value=value, count=row["count"]))
    return [
        Facet(field=field, values=sorted(values, key=lambda v: (-v.count, v.value)))
        for field, values in grouped.items()
    ]


@strawberry.type
class FacetQueries:
    @strawberry.field(
        description="Counts of the trials matching `filter` per phase, status, setting, randomisation, "
        "endpoint reported, agent modality, target and indication."
    )
    async def trial_facets(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[TrialFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
    ) -> list[Facet]:
        where = trial_where(filter)
        rows = await info.context.db.fetch(TRIAL_FACETS_SQL.format(where=where.sql), *where.args)
        return _facets(rows)

    @strawberry.field(
        description="Counts of the agents matching `filter` per modality, status, target, approving regulator "
        "and region of approval."
    )
    async def agent_facets(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[AgentFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
    ) -> list[Facet]:
        where = agent_where(filter)
        rows = await info.context.db.fetch(AGENT_FACETS_SQL.format(where=where.sql), *where.args)
        return _facets(rows)
