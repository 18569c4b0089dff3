"""The root Query type: lookups by natural key and lists of every entity."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.agents import Agent
from schema.approvals import Approval
from schema.context import Context
from schema.enums import Modality, Phase, Regulator, SafetyEvent
from schema.errors import UserInputError
from schema.indications import Indication
from schema.meta import select_entities, select_one
from schema.release import DataRelease, latest_release
from schema.resistance import ResistanceMechanism
from schema.safety import SafetyWarning
from schema.sources import Source
from schema.targets import Target
from schema.trials import Endpoint, Outcome, Trial

Info = strawberry.Info[Context, None]

AGENT_NAMED = """
    lower(t.slug) = lower($1) OR lower(t.name) = lower($1)
    OR EXISTS (SELECT 1 FROM unnest(t.synonyms || t.brand_names || t.code_names) AS n (name)
               WHERE lower(n.name) = lower($1))
"""

TARGET_NAMED = """
    upper(t.symbol) = upper($1)
    OR EXISTS (SELECT 1 FROM unnest(t.aliases) AS a (alias) WHERE upper(a.alias) = upper($1))
"""


@strawberry.type(description="Entry points of the therapy-knowledge graph.")
class Query:
    @strawberry.field(
        description="A target by gene symbol or alias (case-insensitive), e.g. `ERBB2` or `HER2`."
    )
    async def target(
        self,
        info: Info,
        symbol: Annotated[str, strawberry.argument(description="Gene symbol or alias.")],
    ) -> Target | None:
        return await select_one(info.context, Target, TARGET_NAMED, symbol)

    @strawberry.field(description="All targets, by symbol.")
    async def targets(self, info: Info) -> list[Target]:
        return await select_entities(info.context, Target)

    @strawberry.field(
        description="An agent by name, synonym, brand or code name (case-insensitive): "
        "`Enhertu`, `T-DXd` and `DS-8201a` are the same agent."
    )
    async def agent(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="Any name of the agent.")],
    ) -> Agent | None:
        return await select_one(info.context, Agent, AGENT_NAMED, name)

    @strawberry.field(description="All agents by name, optionally of one modality or directed at one target.")
    async def agents(
        self,
        info: Info,
        modality: Annotated[
            Modality | None, strawberry.argument(description="Only agents of this modality.")
        ] = None,
        target: Annotated[
            str | None,
            strawberry.argument(description="Only agents directed at this gene symbol or alias."),
        ] = None,
    ) -> list[Agent]:
        return await select_entities(
            info.context,
            Agent,
            """
            ($1::text IS NULL OR t.modality = $1)
            AND ($2::text IS NULL OR EXISTS (
                SELECT 1 FROM agent_targets at JOIN targets g ON g.id = at.target_id
                WHERE at.agent_id = t.id
                  AND (upper(g.symbol) = upper($2) OR upper($2) = ANY (SELECT upper(x) FROM unnest(g.aliases) x))))
            """,
            modality.value if modality else None,
            target,
        )

    @strawberry.field(description="A trial by NCT ID, acronym or slug (exactly one), case-insensitive.")
    async def trial(
        self,
        info: Info,
        nct_id: Annotated[
            str | None,
            strawberry.argument(description="ClinicalTrials.gov ID, e.g. `NCT00567190`."),
        ] = None,
        acronym: Annotated[str | None, strawberry.argument(description="Acronym, e.g. `CLEOPATRA`.")] = None,
        slug: Annotated[
            str | None, strawberry.argument(description="Stable key, e.g. `destiny-breast03`.")
        ] = None,
    ) -> Trial | None:
        given = [
            (k, v) for k, v in (("nct_id", nct_id), ("acronym", acronym), ("slug", slug)) if v is not None
        ]
        if len(given) != 1:
            raise UserInputError("Give exactly one of nctId, acronym or slug.")
        column, value = given[0]
        return await select_one(info.context, Trial, f"lower(t.{column}) = lower($1)", value)

    @strawberry.field(
        description="All trials, oldest start first, optionally of one phase or giving one agent."
    )
    async def trials(
        self,
        info: Info,
        phase: Annotated[Phase | None, strawberry.argument(description="Only trials of this phase.")] = None,
        agent: Annotated[
            str | None, strawberry.argument(description="Only trials giving this agent (any name).")
        ] = None,
    ) -> list[Trial]:
        return await select_entities(
            info.context,
            Trial,
            f"""
            ($1::text IS NULL OR t.phase = $1)
            AND ($2::text IS NULL OR t.id IN (
                SELECT at.trial_id FROM agent_trials at JOIN agents t ON t.id = at.agent_id
                WHERE {AGENT_NAMED.replace("$1", "$2")}))
            """,
            phase.value if phase else None,
            agent,
        )

    @strawberry.field(description="An indication by slug, e.g. `her2-low-metastatic-breast-cancer`.")
    async def indication(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="Stable key of the indication.")],
    ) -> Indication | None:
        return await select_one(info.context, Indication, "t.slug = lower($1)", slug)

    @strawberry.field(description="All indications by name.")
    async def indications(self, info: Info) -> list[Indication]:
        return await select_entities(info.context, Indication)

    @strawberry.field(description="All approvals in date order, optionally by one regulator.")
    async def approvals(
        self,
        info: Info,
        regulator: Annotated[
            Regulator | None, strawberry.argument(description="Only approvals by this regulator.")
        ] = None,
    ) -> list[Approval]:
        return await select_entities(
            info.context,
            Approval,
            "($1::text IS NULL OR t.regulator = $1)",
            regulator.value if regulator else None,
        )

    @strawberry.field(description="All trial outcomes, optionally of one endpoint (code such as `OS`).")
    async def outcomes(
        self,
        info: Info,
        endpoint: Annotated[str | None, strawberry.argument(description="Endpoint code, e.g. `PFS`.")] = None,
    ) -> list[Outcome]:
        return await select_entities(
            info.context,
            Outcome,
            "($1::text IS NULL OR t.endpoint_id = (SELECT e.id FROM endpoints e WHERE lower(e.code) = lower($1)))",
            endpoint,
        )

    @strawberry.field(description="The endpoints outcomes are reported for.")
    async def endpoints(self, info: Info) -> list[Endpoint]:
        return await select_entities(info.context, Endpoint)

    @strawberry.field(description="A resistance mechanism by slug, e.g. `p95her2-truncation`.")
    async def resistance_mechanism(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="Stable key of the mechanism.")],
    ) -> ResistanceMechanism | None:
        return await select_one(info.context, ResistanceMechanism, "t.slug = lower($1)", slug)

    @strawberry.field(description="All resistance mechanisms by name.")
    async def resistance_mechanisms(self, info: Info) -> list[ResistanceMechanism]:
        return await select_entities(info.context, ResistanceMechanism)

    @strawberry.field(description="Label safety warnings, optionally of one agent (any name) or one event.")
    async def safety_warnings(
        self,
        info: Info,
        agent: Annotated[str | None, strawberry.argument(description="Only warnings of this agent.")] = None,
        event: Annotated[
            SafetyEvent | None, strawberry.argument(description="Only warnings about this event.")
        ] = None,
    ) -> list[SafetyWarning]:
        return await select_entities(
            info.context,
            SafetyWarning,
            f"""
            ($1::text IS NULL OR t.agent_id IN (SELECT t.id FROM agents t WHERE {AGENT_NAMED.replace("$1", "$1::text")}))
            AND ($2::text IS NULL OR t.event = $2)
            """,
            agent,
            event.value if event else None,
        )

    @strawberry.field(description="A source by slug, PMID or DOI (exactly one).")
    async def source(
        self,
        info: Info,
        slug: Annotated[
            str | None, strawberry.argument(description="Stable key, e.g. `pmid-25693012`.")
        ] = None,
        pmid: Annotated[str | None, strawberry.argument(description="PubMed ID.")] = None,
        doi: Annotated[str | None, strawberry.argument(description="DOI, case-insensitive.")] = None,
    ) -> Source | None:
        given = [(k, v) for k, v in (("slug", slug), ("pmid", pmid), ("doi", doi)) if v is not None]
        if len(given) != 1:
            raise UserInputError("Give exactly one of slug, pmid or doi.")
        column, value = given[0]
        return await select_one(info.context, Source, f"lower(t.{column}) = lower($1)", value)

    @strawberry.field(description="All sources by slug.")
    async def sources(self, info: Info) -> list[Source]:
        return await select_entities(info.context, Source)

    @strawberry.field(
        description="The data release the database holds (version, load time, checksum, counts)."
    )
    async def data_release(self, info: Info) -> DataRelease | None:
        return await latest_release(info.context)
