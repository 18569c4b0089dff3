"""The MCP server (Model Context Protocol, the official `mcp` SDK): the therapy graph as tools
for AI assistants, over stdio (`python -m api mcp`) and streamable HTTP (`/mcp`).

Every tool is a GraphQL operation run through the service's own schema object, so it has
the limits of /graphql (depth, aliases, tokens, cost, argument sizes, request timeout) and
its error codes; `graphql_query` runs any read-only operation a model writes. The schema
SDL is a resource.
"""

# No `from __future__ import annotations`: the tools' annotations are read at run time by the
# SDK (their descriptions name the schema's enum values, computed when the server is built).
import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import asyncpg
import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field
from starlette.types import Receive, Scope, Send

from api.errors import format_error
from api.guards import RequestBounds, RequestRefused, check_operation
from api.logs import request_id_var
from config.settings import Settings
from db.pool import create_read_pool
from db.queries import QueryRunner
from schema.context import Context
from schema.enums import Analysis, TrialSetting
from schema.release import ReleaseEntityType
from schema.schema import TherapySchema, build_schema
from schema.search import SearchType

logger = logging.getLogger(__name__)

SERVER_NAME = "therapy-graph"
INSTRUCTIONS = """\
Curated knowledge of targeted cancer therapy: targets (HER2/ERBB2, CD19), therapeutic agents
(antibodies, antibody-drug conjugates, kinase inhibitors, CAR-T cells), indications, regulatory
approvals (FDA, EMA, ...), clinical trials with their arms and results per analysis (hazard
ratios with confidence intervals, medians, rates), resistance mechanisms, label safety warnings,
biomarkers and companion diagnostics. Every fact carries the sources it was curated from; cite
them. Values are only what a source states: a missing value means it was not sourced, not zero.

How to use the tools: start with `search` (typo-tolerant, any name) or `lookup_identifiers`
(exact IDs: NCT, ChEMBL, HGNC, brand and code names), then `agent_profile` or `trial_results`
for details, `compare_efficacy` to line up outcomes across trials, and `graphql_query` for
anything else (read the `graphql://schema` resource first; lists page with first/after).
`data_releases` and `release_changes` tell what changed between versions of the data."""

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
MAX_RESULTS = 100

SOURCE = "slug kind title citation doi pmid nctId retrievedFrom"
SEARCH = """query Search($text: String!, $types: [SearchType!], $first: Int!) {
  search(query: $text, types: $types, first: $first) { type id label score matchedField matchedText }
}"""
LOOKUP = """query Lookup($identifiers: [String!]!) {
  lookup(identifiers: $identifiers) { identifier hits { type id label matchedField } }
}"""
AGENT = f"""query AgentProfile($name: String!) {{
  agent(name: $name) {{
    id slug name synonyms brandNames codeNames modality mechanism bindingSite developer
    developmentStatus chemblId ncitId drugbankId rxnormId unii notes
    targets {{ symbol name }}
    adc {{ payload payloadClass linker linkerCleavable drugToAntibodyRatio }}
    cellTherapy {{ binder binderOrigin costimulatoryDomain signallingDomain vector }}
    regionalStatuses {{ region status note }}
    biosimilarOf {{ name }}
    approvals {{ regulator date type line summary indication {{ name }} pivotalTrials {{ acronym nctId }} }}
    trialGroups {{ phase indication {{ name }} trials {{ slug acronym nctId title status }} }}
    resistanceEffects {{ direction evidence note mechanism {{ slug name category }} }}
    safetyWarnings {{ regulator kind event summary dateAdded }}
    sources(first: 20) {{ {SOURCE} }}
  }}
}}"""
TRIAL = f"""query TrialResults($id: String!) {{
  trial(id: $id) {{
    id slug nctId otherIds acronym title phase status randomised blinding population setting line
    enrollment startDate primaryCompletionDate sponsor notes
    indications {{ name }}
    arms {{ slug label role size regimen {{ displayName role }} }}
    outcomes {{
      slug analysis analysisLabel dataCutoff assessment population populationKind ciLevel
      hazardRatio hazardRatioCiLower hazardRatioCiUpper pValue notes
      endpoint {{ code name }}
      armResults {{
        arm {{ slug label }} n events median medianCiLower medianCiUpper medianNotReached unit
        rate rateCiLower rateCiUpper timepoint
      }}
      sources {{ slug citation }}
    }}
    sources {{ {SOURCE} }}
  }}
}}"""
EFFICACY = """query CompareEfficacy($filter: OutcomeFilter, $first: Int!) {
  efficacy(filter: $filter, first: $first) {
    totalCount
    nodes {
      acronym nctId phase setting endpoint analysis assessment dataCutoff population
      hazardRatio hazardRatioCiLower hazardRatioCiUpper pValue unit timepoint
      experimentalLabel experimentalMedian experimentalMedianCiLower experimentalMedianCiUpper
      experimentalMedianNotReached experimentalRate experimentalN
      controlLabel controlMedian controlMedianCiLower controlMedianCiUpper controlMedianNotReached
      controlRate controlN
      sources { slug citation }
    }
  }
}"""
RELEASES = """query DataReleases {
  dataReleases(first: 100) { nodes { version loadedAt servedAt current checksum previous { version } } }
}"""
CHANGES = """query ReleaseChanges($from: String, $to: String, $types: [ReleaseEntityType!], $first: Int!,
                              $after: String) {
  releaseChanges(from: $from, to: $to, entityTypes: $types, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { entityType key label change fields { field oldValue newValue } }
  }
}"""

T = TypeVar("T")
PoolSource = Callable[[], asyncpg.Pool]


class GraphQLRunner:
    """Runs read-only operations through the service's schema with the limits of /graphql."""

    def __init__(self, schema: TherapySchema, settings: Settings, pool: PoolSource) -> None:
        self.schema = schema
        self.settings = settings
        self.pool = pool
        self.bounds = RequestBounds.from_settings(settings)

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
    ) -> dict[str, Any]:
        """The response as /graphql answers it: `data`, `errors` (with codes), `extensions`."""
        request = {"query": query, "variables": variables, "operationName": operation_name}
        try:
            check_operation(request, self.bounds)
            size = len(orjson.dumps(request))
            if size > self.settings.max_body_bytes:
                limit = self.settings.max_body_bytes
                raise RequestRefused(
                    413, "PAYLOAD_TOO_LARGE", f"The request has {size} bytes; at most {limit}."
                )
        except RequestRefused as refused:
            return {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
        try:
            async with asyncio.timeout(self.settings.request_timeout_s):
                result = await self.schema.execute(
                    query,
                    variable_values=variables,
                    operation_name=operation_name,
                    context_value=Context(db=QueryRunner(self.pool())),
                )
        except TimeoutError:
            message = f"The request took longer than {self.settings.request_timeout_s:g} s and was stopped."
            return {"errors": [{"message": message, "extensions": {"code": "REQUEST_TIMEOUT"}}]}
        response: dict[str, Any] = {"data": orjson.loads(orjson.dumps(result.data))}
        if result.errors:
            request_id = request_id_var.get()
            suggestions = self.settings.field_suggestions
            response["errors"] = [format_error(error, request_id, suggestions) for error in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response

    async def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """`data` of an operation; a ToolError with the messages when it has errors."""
        response = await self.execute(query, variables)
        errors = response.get("errors")
        if errors:
            messages = "; ".join(f"{e['message']} ({e['extensions']['code']})" for e in errors)
            raise ToolError(messages)
        data: dict[str, Any] = response["data"]
        return data


def _names(enum: type[Enum]) -> str:
    return ", ".join(member.name for member in enum)


def _public_url(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def forest_plot_url(settings: Settings, graphql_filter: dict[str, Any]) -> str:
    """The service's forest plot (/plots/efficacy.svg) of the same comparison."""
    parameters = {
        name: ",".join(value)
        if isinstance(value, list)
        else str(value).lower()
        if isinstance(value, bool)
        else value
        for name, value in graphql_filter.items()
    }
    query = urlencode(parameters)
    return f"{_public_url(settings)}/plots/efficacy.svg" + (f"?{query}" if query else "")


class Tools:
    """The tools, each a GraphQL operation; the docstrings and argument descriptions are what a
    model reads to choose and call them."""

    def __init__(self, runner: GraphQLRunner, settings: Settings) -> None:
        self.runner = runner
        self.settings = settings

    async def search(
        self,
        text: Annotated[str, Field(description="Any name, code, identifier or words, typos tolerated.")],
        types: Annotated[
            list[str] | None, Field(description=f"Only these kinds of entity, any of: {_names(SearchType)}.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="Most hits to return.")] = 10,
    ) -> dict[str, Any]:
        """Find agents, trials, indications, targets, resistance mechanisms, biomarkers and companion
        diagnostics by any name (brand, generic, code name, acronym, synonym) or words, tolerating
        typos. Hits are ranked by score (0 to 1) and say which field matched; pass a hit's `label`
        to `agent_profile` or `trial_results` for details. Use `lookup_identifiers` for exact IDs."""
        return await self.runner.data(SEARCH, {"text": text, "types": types, "first": limit})

    async def lookup_identifiers(
        self,
        identifiers: Annotated[
            list[str],
            Field(
                min_length=1,
                max_length=MAX_RESULTS,
                description="Identifiers of any kind: NCT IDs, agent names, brand or code names, ChEMBL,"
                " NCIt, DrugBank, UNII, HGNC, Entrez, UniProt, Ensembl, DOID or MONDO IDs, trial acronyms.",
            ),
        ],
    ) -> dict[str, Any]:
        """Resolve a batch of public identifiers exactly (case-insensitive), each to the entities it
        names, with the field that matched. An identifier with no hits is not in the data."""
        return await self.runner.data(LOOKUP, {"identifiers": identifiers})

    async def agent_profile(
        self,
        name: Annotated[
            str,
            Field(description="Any name or ID of the agent: `Enhertu`, `T-DXd`, `DS-8201a`, `CHEMBL...`."),
        ],
    ) -> dict[str, Any]:
        """Everything curated about one therapeutic agent: names and cross-references, modality and
        mechanism, targets, ADC or CAR-T construct, development status by region, regulatory
        approvals (regulator, date, indication, pivotal trials), its trials grouped by indication and
        phase, resistance mechanisms affecting it, label safety warnings, and its sources."""
        data = await self.runner.data(AGENT, {"name": name})
        if data["agent"] is None:
            raise ToolError(f"No agent is named {name!r}; try the `search` tool for similar names.")
        return data

    async def trial_results(
        self,
        trial: Annotated[
            str, Field(description="NCT ID, acronym or slug of the trial: `NCT03529110`, `DESTINY-Breast03`.")
        ],
    ) -> dict[str, Any]:
        """One clinical trial with its design (phase, status, randomisation, population, setting,
        enrollment, dates, sponsor), arms and regimens, and every outcome per analysis: endpoint,
        analysis (primary, interim, final, updated) with data cut-off, hazard ratio with CI and
        p-value, each arm's median or rate with CI, and the source of each result."""
        data = await self.runner.data(TRIAL, {"id": trial})
        if data["trial"] is None:
            raise ToolError(f"No trial is known as {trial!r}; try the `search` tool.")
        return data

    async def compare_efficacy(
        self,
        indication: Annotated[
            str | None, Field(description="Indication (name, slug or ID); narrower ones are included.")
        ] = None,
        endpoints: Annotated[
            list[str] | None, Field(description="Endpoint codes, any of them: `OS`, `PFS`, `ORR`, `pCR`, ...")
        ] = None,
        agent: Annotated[str | None, Field(description="Trials giving this agent (any name or ID).")] = None,
        trial: Annotated[str | None, Field(description="Only this trial (NCT ID, acronym or slug).")] = None,
        setting: Annotated[
            str | None, Field(description=f"Trial setting, one of: {_names(TrialSetting)}.")
        ] = None,
        analyses: Annotated[
            list[str] | None, Field(description=f"Analyses, any of: {_names(Analysis)}.")
        ] = None,
        with_hazard_ratio: Annotated[
            bool | None, Field(description="Only outcomes that report a hazard ratio.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="Most rows to return.")] = 50,
    ) -> dict[str, Any]:
        """Line up efficacy results across trials: one row per outcome and analysis with the
        experimental (or single-arm) result beside the control result, the hazard ratio with its
        CI and p-value, and the source. `forestPlotUrl` is a forest plot (SVG) of the same rows.
        Results from different trials are not directly comparable (populations and lines of
        therapy differ); say so when comparing."""
        given = {
            "indication": indication,
            "endpoints": endpoints,
            "agent": agent,
            "trial": trial,
            "setting": setting,
            "analyses": analyses,
            "withHazardRatio": with_hazard_ratio,
        }
        graphql_filter = {name: value for name, value in given.items() if value is not None}
        data = await self.runner.data(EFFICACY, {"filter": graphql_filter or None, "first": limit})
        return data | {"forestPlotUrl": forest_plot_url(self.settings, graphql_filter)}

    async def data_releases(self) -> dict[str, Any]:
        """The versions of the curated data the service keeps, newest first, with the one served
        now (`current`) and when each was loaded."""
        return await self.runner.data(RELEASES, {})

    async def release_changes(
        self,
        since: Annotated[
            str | None,
            Field(
                description="The earlier release's version (see `data_releases`); omitted: the release"
                " before `until`, i.e. the changes `until` brought."
            ),
        ] = None,
        until: Annotated[
            str | None, Field(description="The later release's version; omitted: the release served now.")
        ] = None,
        entity_types: Annotated[
            list[str] | None,
            Field(description=f"Only these kinds of entity, any of: {_names(ReleaseEntityType)}."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="Most changes to return.")] = 50,
        after: Annotated[str | None, Field(description="`pageInfo.endCursor` of the previous page.")] = None,
    ) -> dict[str, Any]:
        """What changed in the curated data between two releases: entities added, removed and
        changed, each change with the fields that differ and their old and new values."""
        variables = {"from": since, "to": until, "types": entity_types, "first": limit, "after": after}
        return await self.runner.data(CHANGES, variables)

    async def graphql_query(
        self,
        query: Annotated[
            str, Field(description="A GraphQL query document (read the graphql://schema resource).")
        ],
        variables: Annotated[
            dict[str, Any] | None, Field(description="Values of the query's variables.")
        ] = None,
        operation_name: Annotated[
            str | None, Field(description="Which operation to run when the document has several.")
        ] = None,
    ) -> dict[str, Any]:
        """Run any read-only GraphQL query against the therapy graph, with the limits of the public
        /graphql endpoint (depth, aliases, page sizes of at most 100, a cost bound reported in
        `extensions.cost`). Root lists are connections: `{ trials(first: 20, filter: {...}) {
        totalCount pageInfo { hasNextPage endCursor } nodes { ... } } }`. Errors come back with
        `extensions.code` and a message saying what to change."""
        response = await self.runner.execute(query, variables, operation_name)
        if response.get("data") is None and response.get("errors"):
            raise ToolError(orjson.dumps(response["errors"]).decode())
        return response


TOOL_TITLES = {
    "search": "Search the therapy graph",
    "lookup_identifiers": "Resolve identifiers",
    "agent_profile": "Agent profile",
    "trial_results": "Trial with its results",
    "compare_efficacy": "Compare efficacy across trials",
    "data_releases": "List data releases",
    "release_changes": "Changes between data releases",
    "graphql_query": "Run a GraphQL query",
}


def _counted(
    tool: Callable[..., Awaitable[T]], report: Callable[[str, bool], None] | None
) -> Callable[..., Awaitable[T]]:
    """The tool, with each call counted as ok or error (api.metrics)."""

    @functools.wraps(tool)
    async def counted(*args: Any, **kwargs: Any) -> T:
        try:
            result = await tool(*args, **kwargs)
        except Exception:
            if report is not None:
                report(tool.__name__, False)
            raise
        if report is not None:
            report(tool.__name__, True)
        return result

    return counted


def build_mcp_server(
    schema: TherapySchema,
    settings: Settings,
    pool: PoolSource,
    on_tool_call: Callable[[str, bool], None] | None = None,
) -> MCPServer:
    """The MCP server with its tools and the schema resource; `pool` gives the read pool."""
    tools = Tools(GraphQLRunner(schema, settings, pool), settings)
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, version="1", log_level="WARNING")
    for name, title in TOOL_TITLES.items():
        function = _counted(getattr(tools, name), on_tool_call)
        description = inspect.cleandoc(function.__doc__ or "")
        server.add_tool(
            function,
            name=name,
            title=title,
            description=description,
            annotations=READ_ONLY,
            structured_output=True,
        )

    @server.resource(
        "graphql://schema",
        name="graphql-schema",
        title="GraphQL schema (SDL)",
        description="The GraphQL schema of the therapy graph, with a description on every type, field and"
        " argument: what `graphql_query` can ask.",
        mime_type="application/graphql",
    )
    def graphql_schema() -> str:
        return schema.as_str()

    return server


class MountedMCP:
    """The streamable HTTP transport as an ASGI endpoint at /mcp (stateless, JSON answers), with
    its session manager run by the app's lifespan (`running`)."""

    def __init__(self, server: MCPServer, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.manager: StreamableHTTPSessionManager | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        loopback = self.settings.host in ("127.0.0.1", "localhost", "::1")
        security = (
            TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
                allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
            )
            if loopback
            else None
        )
        manager = StreamableHTTPSessionManager(
            app=self.server._lowlevel_server,
            json_response=True,
            stateless=True,
            security_settings=security,
            max_request_body_size=self.settings.max_body_bytes,
        )
        async with manager.run():
            self.manager = manager
            try:
                yield
            finally:
                self.manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.manager is None:
            raise RuntimeError("the MCP session manager runs in the app's lifespan")
        await self.manager.handle_request(scope, receive, send)


async def serve_stdio(settings: Settings, database_url: str) -> None:
    """The MCP server over stdin/stdout (`python -m api mcp`), reading through its own pool."""
    schema = build_schema(settings.limits, settings.max_batch, settings.compiler)
    pool = await create_read_pool(
        database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        max_waiting=settings.pool_max_waiting,
        acquire_timeout=settings.pool_acquire_timeout_s,
        statement_cache_size=settings.statement_cache_size,
    )
    try:
        await build_mcp_server(schema, settings, lambda: pool).run_stdio_async()
    finally:
        await pool.close()
