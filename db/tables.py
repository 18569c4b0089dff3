"""SQLAlchemy Core declarations of every table and view the migrations create.

The migrations in `db/migrations/versions` own the DDL; these declarations describe the
result for the SQL builder, the seed loader and the export (tests/test_tables.py checks
that both agree, column by column). Nothing here runs `create_all`.

Seed mapping, stated once here and read by the loader and the export:

- `Table.info["seed"]`: where a table's rows come from in the curated files, as the
  entity kind followed by the list or object field that holds them:
  `"agent"` (one row per agent entry), `"agent.adc"` (the entry's `adc` object),
  `"trial.arms.regimen"` (each regimen item of each arm of each trial). A table
  without it is not filled from the seed files (`endpoints`, `data_releases`).
  `fact_sources` carries `"sources"`: every entry's `sources` list fills it.
- `Column.info["seed"]`: the field of that entry (or object, or list item) the column is
  filled from, written on every such column whether or not the names differ; dotted for
  a field inside a nested object (`"xrefs.chembl"`, `"biomarker.kind"`).
- `Column.info["part"]`: one field stored in two columns: `"value"` and `"precision"`
  of a partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`), `"lower"` and `"upper"` of a
  `[lower, upper]` confidence interval.
- `Table.info["key"]`: the column whose value other entries refer to this row by
  (`slug`, a target's `symbol`, an endpoint's `code`; an arm's `slug` within its trial).
- `Column.info["ref"]`: the column is a foreign key and the seed field holds the key of
  the row it points to (an agent's slug for `agent_id`, an endpoint code for
  `endpoint_id`).
- `Column.info["owner"]`: the foreign key to the row this one belongs to (an arm's
  trial, an ADC construct's agent, a fact_sources subject), filled by the loader.
- `Column.info["vocabulary"]`: the db/vocabularies.py vocabulary whose values the
  column's CHECK allows (tests/test_vocabularies.py compares the two).

A column's Python `default` (the same as its server default) is what an absent seed
field means: `[]` for a list, `false` for `median_not_reached`; the export leaves such a
value out, as curators do. Columns with none of these (identities, `position` = index in
its list) are filled by the database or the loader.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, JSONB, TSVECTOR

from db.vocabularies import (
    ANALYSIS,
    APPROVAL_TYPE,
    ARM_ROLE,
    ASSESSMENT,
    BIOMARKER_KIND,
    BIOMARKER_MARKER_KIND,
    BIOMARKER_STATUS,
    BLINDING,
    DATE_PRECISION,
    DEVELOPMENT_STATUS,
    DIAGNOSTIC_METHOD,
    EFFECT_DIRECTION,
    ENDPOINT_KIND,
    EVIDENCE_LEVEL,
    INDICATION_SETTING,
    MODALITY,
    PAYLOAD_CLASS,
    PHASE,
    POPULATION_KIND,
    REGIMEN_ROLE,
    REGULATOR,
    RELEASE_FILE_KIND,
    RESISTANCE_CATEGORY,
    SAFETY_EVENT,
    SAFETY_WARNING_KIND,
    SOURCE_KIND,
    TIME_UNIT,
    TRIAL_SETTING,
    TRIAL_STATUS,
)

metadata = MetaData()

EMPTY_ARRAY = text("'{}'")

# -- sources, targets, agents -----------------------------------------------------------

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("kind", Text, nullable=False, info={"seed": "kind", "vocabulary": SOURCE_KIND}),
    Column("title", Text, nullable=False, info={"seed": "title"}),
    Column("journal", Text, info={"seed": "journal"}),
    Column("year", Integer, info={"seed": "year"}),
    Column("date", Date, info={"seed": "date", "part": "value"}),
    Column("date_precision", Text, info={"seed": "date", "part": "precision", "vocabulary": DATE_PRECISION}),
    Column("doi", Text, info={"seed": "doi"}),
    Column("pmid", Text, info={"seed": "pmid"}),
    Column("nct_id", Text, info={"seed": "nct_id"}),
    Column("regulator", Text, info={"seed": "regulator", "vocabulary": REGULATOR}),
    Column("document", Text, info={"seed": "document"}),
    Column("retrieved_from", Text, info={"seed": "retrieved_from"}),
    Column("citation", Text, info={"seed": "citation"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "source", "key": "slug"},
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("symbol", Text, nullable=False, unique=True, info={"seed": "symbol"}),
    Column("name", Text, nullable=False, info={"seed": "name"}),
    Column(
        "aliases",
        ARRAY(Text),
        nullable=False,
        server_default=EMPTY_ARRAY,
        default=[],
        info={"seed": "aliases"},
    ),
    Column("hgnc_id", Text, unique=True, info={"seed": "hgnc_id"}),
    Column("ncbi_gene_id", Text, unique=True, info={"seed": "ncbi_gene_id"}),
    Column("uniprot_id", Text, unique=True, info={"seed": "uniprot_id"}),
    Column("ensembl_id", Text, unique=True, info={"seed": "ensembl_id"}),
    Column("locus", Text, info={"seed": "locus"}),
    Column("description", Text, info={"seed": "description"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "target", "key": "symbol"},
)

agents = Table(
    "agents",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("name", Text, nullable=False, unique=True, info={"seed": "name"}),
    Column(
        "synonyms",
        ARRAY(Text),
        nullable=False,
        server_default=EMPTY_ARRAY,
        default=[],
        info={"seed": "synonyms"},
    ),
    Column(
        "brand_names",
        ARRAY(Text),
        nullable=False,
        server_default=EMPTY_ARRAY,
        default=[],
        info={"seed": "brand_names"},
    ),
    Column(
        "code_names",
        ARRAY(Text),
        nullable=False,
        server_default=EMPTY_ARRAY,
        default=[],
        info={"seed": "code_names"},
    ),
    Column("modality", Text, nullable=False, info={"seed": "modality", "vocabulary": MODALITY}),
    Column("mechanism", Text, info={"seed": "mechanism"}),
    Column("binding_site", Text, info={"seed": "binding_site"}),
    Column("developer", Text, info={"seed": "developer"}),
    Column(
        "development_status",
        Text,
        nullable=False,
        info={"seed": "development_status", "vocabulary": DEVELOPMENT_STATUS},
    ),
    # Filled in a second pass, once every agent has an id.
    Column(
        "biosimilar_of_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        info={"seed": "biosimilar_of", "ref": True},
    ),
    Column("chembl_id", Text, info={"seed": "xrefs.chembl"}),
    Column("ncit_id", Text, info={"seed": "xrefs.ncit"}),
    Column("drugbank_id", Text, info={"seed": "xrefs.drugbank"}),
    Column("rxnorm_id", Text, info={"seed": "xrefs.rxnorm"}),
    Column("unii", Text, info={"seed": "xrefs.unii"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "agent", "key": "slug"},
)

adc_constructs = Table(
    "adc_constructs",
    metadata,
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="CASCADE"),
        primary_key=True,
        info={"owner": True},
    ),
    Column("payload", Text, nullable=False, info={"seed": "payload"}),
    Column("payload_class", Text, info={"seed": "payload_class", "vocabulary": PAYLOAD_CLASS}),
    Column("linker", Text, info={"seed": "linker"}),
    Column("linker_cleavable", Boolean, info={"seed": "linker_cleavable"}),
    Column("drug_to_antibody_ratio", Numeric, info={"seed": "drug_to_antibody_ratio"}),
    info={"seed": "agent.adc"},
)

cell_therapy_constructs = Table(
    "cell_therapy_constructs",
    metadata,
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="CASCADE"),
        primary_key=True,
        info={"owner": True},
    ),
    Column("binder", Text, nullable=False, info={"seed": "binder"}),
    Column("binder_origin", Text, info={"seed": "binder_origin"}),
    Column("costimulatory_domain", Text, info={"seed": "costimulatory_domain"}),
    Column("signalling_domain", Text, info={"seed": "signalling_domain"}),
    Column("vector", Text, info={"seed": "vector"}),
    Column("manufacturing", Text, info={"seed": "manufacturing"}),
    info={"seed": "agent.cell_therapy"},
)

agent_components = Table(
    "agent_components",
    metadata,
    Column(
        "agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, info={"owner": True}
    ),
    Column(
        "component_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "components", "ref": True},
    ),
    PrimaryKeyConstraint("agent_id", "component_id"),
    info={"seed": "agent.components"},
)

agent_regional_statuses = Table(
    "agent_regional_statuses",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, info={"owner": True}
    ),
    Column("region", Text, nullable=False, info={"seed": "region"}),
    Column("status", Text, nullable=False, info={"seed": "status", "vocabulary": DEVELOPMENT_STATUS}),
    Column("note", Text, info={"seed": "note"}),
    UniqueConstraint("agent_id", "region"),
    info={"seed": "agent.regional_status"},
)

agent_targets = Table(
    "agent_targets",
    metadata,
    Column(
        "agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, info={"owner": True}
    ),
    Column(
        "target_id",
        Integer,
        ForeignKey("targets.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "targets", "ref": True},
    ),
    PrimaryKeyConstraint("agent_id", "target_id"),
    info={"seed": "agent.targets"},
)

# -- biomarkers and companion diagnostics ---------------------------------------------------

biomarkers = Table(
    "biomarkers",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("name", Text, nullable=False, unique=True, info={"seed": "name"}),
    Column(
        "target_id",
        Integer,
        ForeignKey("targets.id", ondelete="RESTRICT"),
        info={"seed": "target", "ref": True},
    ),
    # Filled in a second pass, once every biomarker has an id.
    Column(
        "parent_id",
        Integer,
        ForeignKey("biomarkers.id", ondelete="RESTRICT"),
        info={"seed": "parent", "ref": True},
    ),
    Column("kind", Text, nullable=False, info={"seed": "kind", "vocabulary": BIOMARKER_KIND}),
    Column("status", Text, info={"seed": "status", "vocabulary": BIOMARKER_STATUS}),
    Column("definition", Text, nullable=False, info={"seed": "definition"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "biomarker", "key": "slug"},
)

companion_diagnostics = Table(
    "companion_diagnostics",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("name", Text, nullable=False, unique=True, info={"seed": "name"}),
    Column("manufacturer", Text, info={"seed": "manufacturer"}),
    Column("method", Text, nullable=False, info={"seed": "method", "vocabulary": DIAGNOSTIC_METHOD}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "companion_diagnostic", "key": "slug"},
)

# One regulatory approval of an assay as the companion diagnostic of agents for a biomarker.
companion_diagnostic_approvals = Table(
    "companion_diagnostic_approvals",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "diagnostic_id",
        Integer,
        ForeignKey("companion_diagnostics.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column("position", Integer, nullable=False),
    Column("regulator", Text, nullable=False, info={"seed": "regulator", "vocabulary": REGULATOR}),
    Column("approval_date", Date, info={"seed": "date", "part": "value"}),
    Column(
        "approval_date_precision",
        Text,
        info={"seed": "date", "part": "precision", "vocabulary": DATE_PRECISION},
    ),
    Column(
        "biomarker_id",
        Integer,
        ForeignKey("biomarkers.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "biomarker", "ref": True},
    ),
    Column("application", Text, info={"seed": "application"}),
    Column("note", Text, info={"seed": "note"}),
    UniqueConstraint("diagnostic_id", "position"),
    info={"seed": "companion_diagnostic.approvals"},
)

companion_diagnostic_approval_agents = Table(
    "companion_diagnostic_approval_agents",
    metadata,
    Column(
        "approval_id",
        Integer,
        ForeignKey("companion_diagnostic_approvals.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "agents", "ref": True},
    ),
    PrimaryKeyConstraint("approval_id", "agent_id"),
    info={"seed": "companion_diagnostic.approvals.agents"},
)


def _biomarker_link(name: str, owner: str, owner_table: str, seed: str) -> Table:
    """A link from an indication, approval or trial to the biomarkers it requires."""
    return Table(
        name,
        metadata,
        Column(
            owner,
            Integer,
            ForeignKey(f"{owner_table}.id", ondelete="CASCADE"),
            nullable=False,
            info={"owner": True},
        ),
        Column(
            "biomarker_id",
            Integer,
            ForeignKey("biomarkers.id", ondelete="RESTRICT"),
            nullable=False,
            info={"seed": seed.rpartition(".")[2], "ref": True},
        ),
        PrimaryKeyConstraint(owner, "biomarker_id"),
        info={"seed": seed},
    )


# -- indications and trials ------------------------------------------------------------

indications = Table(
    "indications",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("name", Text, nullable=False, unique=True, info={"seed": "name"}),
    Column("disease", Text, nullable=False, info={"seed": "disease"}),
    # Filled in a second pass, once every indication has an id.
    Column(
        "parent_id",
        Integer,
        ForeignKey("indications.id", ondelete="RESTRICT"),
        info={"seed": "parent", "ref": True},
    ),
    Column("biomarker_kind", Text, info={"seed": "biomarker.kind", "vocabulary": BIOMARKER_KIND}),
    Column("biomarker_status", Text, info={"seed": "biomarker.status", "vocabulary": BIOMARKER_STATUS}),
    Column("biomarker_definition", Text, info={"seed": "biomarker.definition"}),
    Column("setting", Text, nullable=False, info={"seed": "setting", "vocabulary": INDICATION_SETTING}),
    Column("ncit_id", Text, info={"seed": "xrefs.ncit"}),
    Column("doid_id", Text, info={"seed": "xrefs.doid"}),
    Column("mondo_id", Text, info={"seed": "xrefs.mondo"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "indication", "key": "slug"},
)

trials = Table(
    "trials",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("nct_id", Text, unique=True, info={"seed": "nct_id"}),
    Column(
        "other_ids",
        ARRAY(Text),
        nullable=False,
        server_default=EMPTY_ARRAY,
        default=[],
        info={"seed": "other_ids"},
    ),
    Column("acronym", Text, info={"seed": "acronym"}),
    Column("title", Text, nullable=False, info={"seed": "title"}),
    Column("phase", Text, nullable=False, info={"seed": "phase", "vocabulary": PHASE}),
    Column("status", Text, info={"seed": "status", "vocabulary": TRIAL_STATUS}),
    Column("randomised", Boolean, nullable=False, info={"seed": "randomised"}),
    Column("blinding", Text, info={"seed": "blinding", "vocabulary": BLINDING}),
    Column("population", Text, info={"seed": "population"}),
    Column("setting", Text, nullable=False, info={"seed": "setting", "vocabulary": TRIAL_SETTING}),
    Column("line", Text, info={"seed": "line"}),
    Column("enrollment", Integer, info={"seed": "enrollment"}),
    Column("start_date", Date, info={"seed": "start_date", "part": "value"}),
    Column(
        "start_date_precision",
        Text,
        info={"seed": "start_date", "part": "precision", "vocabulary": DATE_PRECISION},
    ),
    Column("primary_completion_date", Date, info={"seed": "primary_completion_date", "part": "value"}),
    Column(
        "primary_completion_date_precision",
        Text,
        info={"seed": "primary_completion_date", "part": "precision", "vocabulary": DATE_PRECISION},
    ),
    Column("sponsor", Text, info={"seed": "sponsor"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "trial", "key": "slug"},
)

trial_indications = Table(
    "trial_indications",
    metadata,
    Column(
        "trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), nullable=False, info={"owner": True}
    ),
    Column(
        "indication_id",
        Integer,
        ForeignKey("indications.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "indications", "ref": True},
    ),
    PrimaryKeyConstraint("trial_id", "indication_id"),
    info={"seed": "trial.indications"},
)

trial_arms = Table(
    "trial_arms",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), nullable=False, info={"owner": True}
    ),
    Column("slug", Text, nullable=False, info={"seed": "slug"}),
    Column("label", Text, nullable=False, info={"seed": "label"}),
    Column("role", Text, nullable=False, info={"seed": "role", "vocabulary": ARM_ROLE}),
    Column("size", Integer, info={"seed": "size"}),
    Column("position", Integer, nullable=False),
    Column("notes", Text, info={"seed": "notes"}),
    UniqueConstraint("trial_id", "slug"),
    info={"seed": "trial.arms", "key": "slug"},
)

arm_regimen_components = Table(
    "arm_regimen_components",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "arm_id",
        Integer,
        ForeignKey("trial_arms.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column("position", Integer, nullable=False),
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        info={"seed": "agent", "ref": True},
    ),
    Column("drug_name", Text, info={"seed": "drug"}),
    Column("role", Text, nullable=False, info={"seed": "role", "vocabulary": REGIMEN_ROLE}),
    UniqueConstraint("arm_id", "position"),
    info={"seed": "trial.arms.regimen"},
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False, info={"vocabulary": ENDPOINT_KIND}),
    Column("description", Text, nullable=False),
    info={"key": "code"},
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), nullable=False, info={"owner": True}
    ),
    Column("slug", Text, nullable=False, info={"seed": "slug"}),
    Column(
        "endpoint_id",
        Integer,
        ForeignKey("endpoints.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "endpoint", "ref": True},
    ),
    Column("assessment", Text, info={"seed": "assessment", "vocabulary": ASSESSMENT}),
    Column("analysis", Text, nullable=False, info={"seed": "analysis", "vocabulary": ANALYSIS}),
    Column("analysis_label", Text, info={"seed": "analysis_label"}),
    Column("data_cutoff", Date, info={"seed": "data_cutoff", "part": "value"}),
    Column(
        "data_cutoff_precision",
        Text,
        info={"seed": "data_cutoff", "part": "precision", "vocabulary": DATE_PRECISION},
    ),
    Column("population", Text, info={"seed": "population"}),
    Column("population_kind", Text, info={"seed": "population_kind", "vocabulary": POPULATION_KIND}),
    # The confidence level (percent) of every interval of the outcome and its arm results.
    Column(
        "ci_level", Numeric, nullable=False, server_default=text("95"), default=95, info={"seed": "ci_level"}
    ),
    Column("hazard_ratio", Numeric, info={"seed": "hazard_ratio"}),
    Column("hazard_ratio_ci_lower", Numeric, info={"seed": "hazard_ratio_ci", "part": "lower"}),
    Column("hazard_ratio_ci_upper", Numeric, info={"seed": "hazard_ratio_ci", "part": "upper"}),
    Column("p_value", Text, info={"seed": "p_value"}),
    Column("notes", Text, info={"seed": "notes"}),
    Column("position", Integer, nullable=False),
    UniqueConstraint("trial_id", "slug"),
    info={"seed": "trial.outcomes"},
)

outcome_arm_results = Table(
    "outcome_arm_results",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "outcome_id",
        Integer,
        ForeignKey("outcomes.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column(
        "arm_id",
        Integer,
        ForeignKey("trial_arms.id", ondelete="CASCADE"),
        nullable=False,
        info={"seed": "arm", "ref": True},
    ),
    Column("position", Integer, nullable=False),
    Column("median", Numeric, info={"seed": "median"}),
    Column("median_ci_lower", Numeric, info={"seed": "median_ci", "part": "lower"}),
    Column("median_ci_upper", Numeric, info={"seed": "median_ci", "part": "upper"}),
    Column(
        "median_not_reached",
        Boolean,
        nullable=False,
        server_default=false(),
        default=False,
        info={"seed": "median_not_reached"},
    ),
    Column("unit", Text, info={"seed": "unit", "vocabulary": TIME_UNIT}),
    Column("rate", Numeric, info={"seed": "rate"}),
    Column("rate_ci_lower", Numeric, info={"seed": "rate_ci", "part": "lower"}),
    Column("rate_ci_upper", Numeric, info={"seed": "rate_ci", "part": "upper"}),
    Column("timepoint", Text, info={"seed": "timepoint"}),
    Column("events", Integer, info={"seed": "events"}),
    Column("n", Integer, info={"seed": "n"}),
    Column("notes", Text, info={"seed": "notes"}),
    UniqueConstraint("outcome_id", "arm_id"),
    info={"seed": "trial.outcomes.arms"},
)

# -- approvals, resistance, safety --------------------------------------------------------

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "agent", "ref": True},
    ),
    Column(
        "indication_id",
        Integer,
        ForeignKey("indications.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "indication", "ref": True},
    ),
    Column("regulator", Text, nullable=False, info={"seed": "regulator", "vocabulary": REGULATOR}),
    Column("approval_date", Date, nullable=False, info={"seed": "date", "part": "value"}),
    Column(
        "approval_date_precision",
        Text,
        nullable=False,
        info={"seed": "date", "part": "precision", "vocabulary": DATE_PRECISION},
    ),
    Column("approval_type", Text, info={"seed": "type", "vocabulary": APPROVAL_TYPE}),
    Column("line", Text, info={"seed": "line"}),
    Column("no_pivotal_trial_reason", Text, info={"seed": "no_pivotal_trial_reason"}),
    Column("summary", Text, info={"seed": "summary"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "approval"},
)

approval_trials = Table(
    "approval_trials",
    metadata,
    Column(
        "approval_id",
        Integer,
        ForeignKey("approvals.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column(
        "trial_id",
        Integer,
        ForeignKey("trials.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "pivotal_trials", "ref": True},
    ),
    PrimaryKeyConstraint("approval_id", "trial_id"),
    info={"seed": "approval.pivotal_trials"},
)

indication_biomarkers = _biomarker_link(
    "indication_biomarkers", "indication_id", "indications", "indication.biomarkers"
)
approval_biomarkers = _biomarker_link(
    "approval_biomarkers", "approval_id", "approvals", "approval.biomarkers"
)
trial_biomarkers = _biomarker_link("trial_biomarkers", "trial_id", "trials", "trial.eligibility_biomarkers")

approval_companion_diagnostics = Table(
    "approval_companion_diagnostics",
    metadata,
    Column(
        "approval_id",
        Integer,
        ForeignKey("approvals.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column(
        "diagnostic_id",
        Integer,
        ForeignKey("companion_diagnostics.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "companion_diagnostics", "ref": True},
    ),
    PrimaryKeyConstraint("approval_id", "diagnostic_id"),
    info={"seed": "approval.companion_diagnostics"},
)

resistance_mechanisms = Table(
    "resistance_mechanisms",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column("name", Text, nullable=False, unique=True, info={"seed": "name"}),
    Column("category", Text, nullable=False, info={"seed": "category", "vocabulary": RESISTANCE_CATEGORY}),
    Column("description", Text, nullable=False, info={"seed": "description"}),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "resistance_mechanism"},
)

resistance_biomarkers = Table(
    "resistance_biomarkers",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "mechanism_id",
        Integer,
        ForeignKey("resistance_mechanisms.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column("name", Text, nullable=False, info={"seed": "name"}),
    Column("kind", Text, nullable=False, info={"seed": "kind", "vocabulary": BIOMARKER_MARKER_KIND}),
    Column("position", Integer, nullable=False),
    UniqueConstraint("mechanism_id", "name"),
    info={"seed": "resistance_mechanism.biomarkers"},
)

resistance_effects = Table(
    "resistance_effects",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "mechanism_id",
        Integer,
        ForeignKey("resistance_mechanisms.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "agent", "ref": True},
    ),
    Column("direction", Text, nullable=False, info={"seed": "direction", "vocabulary": EFFECT_DIRECTION}),
    Column("evidence", Text, nullable=False, info={"seed": "evidence", "vocabulary": EVIDENCE_LEVEL}),
    Column("note", Text, info={"seed": "note"}),
    Column("position", Integer, nullable=False),
    UniqueConstraint("mechanism_id", "agent_id"),
    info={"seed": "resistance_mechanism.affected_agents"},
)

resistance_overcoming = Table(
    "resistance_overcoming",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "mechanism_id",
        Integer,
        ForeignKey("resistance_mechanisms.id", ondelete="CASCADE"),
        nullable=False,
        info={"owner": True},
    ),
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        info={"seed": "agent", "ref": True},
    ),
    Column("strategy", Text, info={"seed": "strategy"}),
    Column("evidence", Text, nullable=False, info={"seed": "evidence", "vocabulary": EVIDENCE_LEVEL}),
    Column("note", Text, info={"seed": "note"}),
    Column("position", Integer, nullable=False),
    info={"seed": "resistance_mechanism.overcoming"},
)

safety_warnings = Table(
    "safety_warnings",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("slug", Text, nullable=False, unique=True, info={"seed": "slug"}),
    Column(
        "agent_id",
        Integer,
        ForeignKey("agents.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "agent", "ref": True},
    ),
    Column("regulator", Text, nullable=False, info={"seed": "regulator", "vocabulary": REGULATOR}),
    Column("kind", Text, nullable=False, info={"seed": "kind", "vocabulary": SAFETY_WARNING_KIND}),
    Column("event", Text, nullable=False, info={"seed": "event", "vocabulary": SAFETY_EVENT}),
    Column("summary", Text, nullable=False, info={"seed": "summary"}),
    Column("date_added", Date, info={"seed": "date_added", "part": "value"}),
    Column(
        "date_added_precision",
        Text,
        info={"seed": "date_added", "part": "precision", "vocabulary": DATE_PRECISION},
    ),
    Column("notes", Text, info={"seed": "notes"}),
    info={"seed": "safety_warning"},
)


def _subject(name: str, table: str) -> Column[int]:
    return Column(name, Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), info={"owner": True})


# Every factual row links to its sources; exactly one subject column is set per link.
fact_sources = Table(
    "fact_sources",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "source_id",
        Integer,
        ForeignKey("sources.id", ondelete="RESTRICT"),
        nullable=False,
        info={"seed": "sources", "ref": True},
    ),
    _subject("target_id", "targets"),
    _subject("agent_id", "agents"),
    _subject("indication_id", "indications"),
    _subject("approval_id", "approvals"),
    _subject("trial_id", "trials"),
    _subject("outcome_id", "outcomes"),
    _subject("resistance_mechanism_id", "resistance_mechanisms"),
    _subject("resistance_effect_id", "resistance_effects"),
    _subject("resistance_overcoming_id", "resistance_overcoming"),
    _subject("safety_warning_id", "safety_warnings"),
    _subject("biomarker_id", "biomarkers"),
    _subject("companion_diagnostic_id", "companion_diagnostics"),
    _subject("companion_diagnostic_approval_id", "companion_diagnostic_approvals"),
    info={"seed": "sources"},
)

data_releases = Table(
    "data_releases",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("version", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("checksum", Text, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("counts", JSONB, nullable=False),
    # Release history (migration 0011): when it last became the served release, and the
    # release served when it was loaded (its changes are counted from that one).
    Column("served_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("previous_id", Integer, ForeignKey("data_releases.id")),
)

# What each release held, kept for history, diffs and rollback (migration 0011).
release_blobs = Table(
    "release_blobs",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

release_files = Table(
    "release_files",
    metadata,
    Column("release_id", Integer, ForeignKey("data_releases.id"), primary_key=True),
    Column("kind", Text, primary_key=True, info={"vocabulary": RELEASE_FILE_KIND}),
    Column("name", Text, primary_key=True),
    Column("sha256", Text, ForeignKey("release_blobs.sha256"), nullable=False),
)

release_entities = Table(
    "release_entities",
    metadata,
    Column("release_id", Integer, ForeignKey("data_releases.id"), primary_key=True),
    Column("kind", Text, primary_key=True),  # the export file (section): `trials`, `agents`, ...
    Column("key", Text, primary_key=True),
    Column("record", JSONB, nullable=False),
)

# -- views (info["view"]): read-only, computed by PostgreSQL ------------------------------
# PostgreSQL reports every view column as nullable; `nullable=False` below states what the
# view's definition guarantees, for the SQL builder.

agent_trials = Table(
    "agent_trials",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("trial_id", Integer, ForeignKey("trials.id"), nullable=False),
    info={"view": True},
)

indication_closure = Table(
    "indication_closure",
    metadata,
    Column("ancestor_id", Integer, ForeignKey("indications.id"), nullable=False),
    Column("descendant_id", Integer, ForeignKey("indications.id"), nullable=False),
    info={"view": True},
)

# One row per searchable text of an entity; `key` is the natural key of its global ID.
search_documents = Table(
    "search_documents",
    metadata,
    Column("type", Text, nullable=False),
    Column("id", Integer, nullable=False),
    Column("key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("weight", Numeric, nullable=False),
    info={"view": True},
)

# Prepared at seeding (migration 0005): search_documents with the forms search filters on.
search_index = Table(
    "search_index",
    metadata,
    Column("type", Text, nullable=False),
    Column("id", Integer, nullable=False),
    Column("key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("weight", DOUBLE_PRECISION, nullable=False),
    Column("lower_text", Text, nullable=False),
    Column("compact", Text, nullable=False),
    Column("document", TSVECTOR, nullable=False),
    # distinct trigrams of lower_text and compact (migration 0017): bounds of their similarities
    Column("lower_trigrams", Integer, nullable=False),
    Column("compact_trigrams", Integer, nullable=False),
    info={"view": True},
)

# Each agent's trials by indication and phase, in trial order (migration 0009).
agent_trial_groups = Table(
    "agent_trial_groups",
    metadata,
    Column("agent_id", Integer, nullable=False),
    Column("indication_id", Integer),
    Column("phase", Text, nullable=False),
    Column("indication_name", Text, nullable=False),
    Column("phase_rank", Integer),
    Column("trial_ids", ARRAY(Integer)),
    info={"view": True},
)

# Every name, code and cross-reference of an entity, lower-cased (migration 0005).
entity_names = Table(
    "entity_names",
    metadata,
    Column("type", Text, nullable=False),
    Column("entity_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    info={"view": True},
)


def _arm_side(prefix: str) -> list[Column[object]]:
    """The columns efficacy_rows repeats for its experimental and control arm."""
    return [
        Column(f"{prefix}_label", Text),
        Column(f"{prefix}_median", Numeric),
        Column(f"{prefix}_median_ci_lower", Numeric),
        Column(f"{prefix}_median_ci_upper", Numeric),
        Column(f"{prefix}_median_not_reached", Boolean),
        Column(f"{prefix}_rate", Numeric),
        Column(f"{prefix}_rate_ci_lower", Numeric),
        Column(f"{prefix}_rate_ci_upper", Numeric),
        Column(f"{prefix}_n", Integer),
    ]


# One forest-plot row per outcome: first experimental (or single-arm) and control result.
efficacy_rows = Table(
    "efficacy_rows",
    metadata,
    Column("id", Integer, nullable=False),
    Column("outcome_id", Integer, ForeignKey("outcomes.id"), nullable=False),
    Column("trial_id", Integer, ForeignKey("trials.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("endpoint_id", Integer, ForeignKey("endpoints.id"), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("endpoint_kind", Text, nullable=False),
    Column("analysis", Text, nullable=False),
    Column("assessment", Text),
    Column("data_cutoff", Date),
    Column("data_cutoff_precision", Text),
    Column("population", Text),
    Column("hazard_ratio", Numeric),
    Column("hazard_ratio_ci_lower", Numeric),
    Column("hazard_ratio_ci_upper", Numeric),
    Column("p_value", Text),
    Column("acronym", Text),
    Column("nct_id", Text),
    Column("phase", Text, nullable=False),
    Column("setting", Text, nullable=False),
    Column("start_date", Date),
    *_arm_side("experimental"),
    *_arm_side("control"),
    Column("unit", Text),
    Column("timepoint", Text),
    info={"view": True},
)

# Curated tables, children before parents: the order the loader empties them in.
CURATED_TABLES: tuple[Table, ...] = (
    fact_sources,
    trial_biomarkers,
    approval_biomarkers,
    approval_companion_diagnostics,
    indication_biomarkers,
    companion_diagnostic_approval_agents,
    companion_diagnostic_approvals,
    safety_warnings,
    resistance_overcoming,
    resistance_effects,
    resistance_biomarkers,
    resistance_mechanisms,
    approval_trials,
    approvals,
    outcome_arm_results,
    outcomes,
    arm_regimen_components,
    trial_arms,
    trial_indications,
    trials,
    indications,
    agent_targets,
    agent_regional_statuses,
    agent_components,
    cell_therapy_constructs,
    adc_constructs,
    companion_diagnostics,
    agents,
    biomarkers,
    targets,
    sources,
)
