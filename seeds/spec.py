"""The shape of every curated entry: fields, types, enums and references.

The loader validates each entry against these specs before anything is written. Enum
choices are the vocabularies of db/vocabularies.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from db.vocabularies import (
    ANALYSIS,
    APPROVAL_TYPE,
    ARM_ROLE,
    ASSESSMENT,
    BIOMARKER_KIND,
    BIOMARKER_MARKER_KIND,
    BIOMARKER_STATUS,
    BLINDING,
    DEVELOPMENT_STATUS,
    DIAGNOSTIC_METHOD,
    EFFECT_DIRECTION,
    ENDPOINT_CODE,
    EVIDENCE_LEVEL,
    INDICATION_SETTING,
    MODALITY,
    PAYLOAD_CLASS,
    PHASE,
    POPULATION_KIND,
    REGIMEN_ROLE,
    REGULATOR,
    RESISTANCE_CATEGORY,
    SAFETY_EVENT,
    SAFETY_WARNING_KIND,
    SOURCE_KIND,
    TIME_UNIT,
    TRIAL_SETTING,
    TRIAL_STATUS,
)

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


@dataclass(frozen=True)
class F:
    """One field of an entry.

    kind: str | text | int | number | bool | date (full ISO date) | partial_date
    (YYYY, YYYY-MM or YYYY-MM-DD) | str_list | enum | pattern | ref | ref_list | object
    | object_list | ci (a [lower, upper] pair of numbers or nulls) | p_value.

    interval: the values a number, integer, date or both bounds of a ci may take, as the
    database's CHECK says, e.g. "(0, 20]" or "[1990-01-01, )" (tests/test_seed_checks.py
    compares them with the migrations).
    """

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    pattern: str = ""
    ref: str = ""
    spec: dict[str, F] = field(default_factory=dict)
    interval: str = ""


SOURCE_REFS = F("ref_list", ref="source")

SOURCE = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "kind": F("enum", required=True, choices=SOURCE_KIND.values),
    "title": F("str", required=True),
    "journal": F("str"),
    "year": F("int", interval="[1900, 2100]"),
    "date": F("partial_date"),
    "doi": F("pattern", pattern=r"^10\.[0-9]{4,9}/\S+$"),
    "pmid": F("pattern", pattern=r"^[0-9]{1,9}$"),
    "nct_id": F("pattern", pattern=r"^NCT[0-9]{8}$"),
    "regulator": F("enum", choices=REGULATOR.values),
    "document": F("str"),
    "retrieved_from": F("pattern", pattern=r"^https?://\S+$"),
    "citation": F("str"),
    "notes": F("text"),
}

# Fields only a source of some kinds may give (the loader refuses them elsewhere).
SOURCE_FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "regulator": ("regulatory_document",),
    "document": ("regulatory_document",),
    "journal": ("peer_reviewed_article", "review", "conference_abstract"),
}

# The identifiers one source is known by: two entries giving the same one are one source.
SOURCE_IDENTIFIERS = ("doi", "pmid", "nct_id", "retrieved_from")

TARGET = {
    "symbol": F("pattern", required=True, pattern=r"^[A-Z0-9-]+$"),
    "name": F("str", required=True),
    "aliases": F("str_list"),
    "hgnc_id": F("pattern", pattern=r"^HGNC:[0-9]+$"),
    "ncbi_gene_id": F("pattern", pattern=r"^[0-9]+$"),
    "uniprot_id": F("pattern", pattern=r"^[A-Z0-9]{6,10}$"),
    "ensembl_id": F("pattern", pattern=r"^ENSG[0-9]{11}$"),
    "locus": F("str"),
    "description": F("text"),
    "sources": SOURCE_REFS,
    "notes": F("text"),
}

BIOMARKER = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "name": F("str", required=True),
    "target": F("ref", ref="target"),
    "parent": F("ref", ref="biomarker"),
    "kind": F("enum", required=True, choices=BIOMARKER_KIND.values),
    "status": F("enum", choices=BIOMARKER_STATUS.values),
    "definition": F("text", required=True),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

COMPANION_DIAGNOSTIC = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "name": F("str", required=True),
    "manufacturer": F("str"),
    "method": F("enum", required=True, choices=DIAGNOSTIC_METHOD.values),
    "approvals": F(
        "object_list",
        spec={
            "regulator": F("enum", required=True, choices=REGULATOR.values),
            "date": F("partial_date"),
            "biomarker": F("ref", required=True, ref="biomarker"),
            "agents": F("ref_list", ref="agent"),
            "application": F("str"),
            "note": F("text"),
            "sources": F("ref_list", required=True, ref="source"),
        },
    ),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

AGENT = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "name": F("str", required=True),
    "synonyms": F("str_list"),
    "brand_names": F("str_list"),
    "code_names": F("str_list"),
    "modality": F("enum", required=True, choices=MODALITY.values),
    "targets": F("ref_list", ref="target"),
    "biosimilar_of": F("ref", ref="agent"),
    "components": F("ref_list", ref="agent"),
    "mechanism": F("text"),
    "binding_site": F("str"),
    "adc": F(
        "object",
        spec={
            "payload": F("str", required=True),
            "payload_class": F("enum", choices=PAYLOAD_CLASS.values),
            "linker": F("str"),
            "linker_cleavable": F("bool"),
            "drug_to_antibody_ratio": F("number", interval="(0, 20]"),
        },
    ),
    "cell_therapy": F(
        "object",
        spec={
            "binder": F("str", required=True),
            "binder_origin": F("str"),
            "costimulatory_domain": F("str"),
            "signalling_domain": F("str"),
            "vector": F("str"),
            "manufacturing": F("text"),
        },
    ),
    "developer": F("str"),
    "development_status": F("enum", required=True, choices=DEVELOPMENT_STATUS.values),
    "regional_status": F(
        "object_list",
        spec={
            "region": F("pattern", required=True, pattern=r"^[A-Z]{2,3}$"),
            "status": F("enum", required=True, choices=DEVELOPMENT_STATUS.values),
            "note": F("text"),
        },
    ),
    "xrefs": F(
        "object",
        spec={
            "chembl": F("pattern", pattern=r"^CHEMBL[0-9]+$"),
            "ncit": F("pattern", pattern=r"^C[0-9]+$"),
            "drugbank": F("pattern", pattern=r"^DB[0-9]{5}$"),
            "rxnorm": F("pattern", pattern=r"^[0-9]+$"),
            "unii": F("pattern", pattern=r"^[A-Z0-9]{10}$"),
        },
    ),
    "sources": SOURCE_REFS,
    "notes": F("text"),
}

INDICATION = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "name": F("str", required=True),
    "disease": F("str", required=True),
    "parent": F("ref", ref="indication"),
    "biomarker": F(
        "object",
        spec={
            "kind": F("enum", required=True, choices=BIOMARKER_KIND.values),
            "status": F("enum", choices=BIOMARKER_STATUS.values),
            "definition": F("text"),
        },
    ),
    "biomarkers": F("ref_list", ref="biomarker"),
    "setting": F("enum", required=True, choices=INDICATION_SETTING.values),
    "xrefs": F(
        "object",
        spec={
            "ncit": F("pattern", pattern=r"^C[0-9]+$"),
            "doid": F("pattern", pattern=r"^DOID:[0-9]+$"),
            "mondo": F("pattern", pattern=r"^MONDO:[0-9]{7}$"),
        },
    ),
    "sources": SOURCE_REFS,
    "notes": F("text"),
}

APPROVAL = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "agent": F("ref", required=True, ref="agent"),
    "indication": F("ref", required=True, ref="indication"),
    "regulator": F("enum", required=True, choices=REGULATOR.values),
    "date": F("partial_date", required=True, interval="[1990-01-01, )"),
    "type": F("enum", choices=APPROVAL_TYPE.values),
    "line": F("text"),
    "pivotal_trials": F("ref_list", ref="trial"),
    "no_pivotal_trial_reason": F("text"),
    "biomarkers": F("ref_list", ref="biomarker"),
    "companion_diagnostics": F("ref_list", ref="companion_diagnostic"),
    "summary": F("text"),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

ARM_RESULT = {
    "arm": F("str", required=True),
    "median": F("number", interval="[0, )"),
    "median_ci": F("ci"),
    "median_not_reached": F("bool"),
    "unit": F("enum", choices=TIME_UNIT.values),
    "rate": F("number", interval="[0, 100]"),
    "rate_ci": F("ci", interval="[0, 100]"),
    "timepoint": F("str"),
    "events": F("int", interval="[0, )"),
    "n": F("int", interval="(0, )"),
    "notes": F("text"),
}

OUTCOME = {
    "slug": F("pattern", pattern=SLUG_PATTERN),
    "endpoint": F("enum", required=True, choices=ENDPOINT_CODE.values),
    "assessment": F("enum", choices=ASSESSMENT.values),
    "analysis": F("enum", required=True, choices=ANALYSIS.values),
    "analysis_label": F("text"),
    "data_cutoff": F("partial_date"),
    "population": F("text"),
    "population_kind": F("enum", choices=POPULATION_KIND.values),
    "ci_level": F("number", interval="[50, 100)"),
    "arms": F("object_list", spec=ARM_RESULT),
    "hazard_ratio": F("number", interval="(0, )"),
    "hazard_ratio_ci": F("ci", interval="(0, )"),
    "p_value": F("p_value"),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

ARM = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "label": F("str", required=True),
    "role": F("enum", required=True, choices=ARM_ROLE.values),
    "size": F("int", interval="(0, )"),
    "regimen": F(
        "object_list",
        spec={
            "agent": F("ref", ref="agent"),
            "drug": F("str"),
            "role": F("enum", required=True, choices=REGIMEN_ROLE.values),
        },
    ),
    "notes": F("text"),
}

TRIAL = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "nct_id": F("pattern", pattern=r"^NCT[0-9]{8}$"),
    "other_ids": F("str_list"),
    "acronym": F("str"),
    "title": F("str", required=True),
    "phase": F("enum", required=True, choices=PHASE.values),
    "status": F("enum", choices=TRIAL_STATUS.values),
    "randomised": F("bool", required=True),
    "blinding": F("enum", choices=BLINDING.values),
    "population": F("text"),
    "setting": F("enum", required=True, choices=TRIAL_SETTING.values),
    "line": F("str"),
    "indications": F("ref_list", ref="indication"),
    "eligibility_biomarkers": F("ref_list", ref="biomarker"),
    "enrollment": F("int", interval="(0, )"),
    "start_date": F("partial_date", interval="[1980-01-01, )"),
    "primary_completion_date": F("partial_date"),
    "sponsor": F("str"),
    "sources": F("ref_list", required=True, ref="source"),
    "arms": F("object_list", spec=ARM),
    "outcomes": F("object_list", spec=OUTCOME),
    "notes": F("text"),
}

RESISTANCE_MECHANISM = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "name": F("str", required=True),
    "category": F("enum", required=True, choices=RESISTANCE_CATEGORY.values),
    "description": F("text", required=True),
    "biomarkers": F(
        "object_list",
        spec={
            "name": F("str", required=True),
            "kind": F("enum", required=True, choices=BIOMARKER_MARKER_KIND.values),
        },
    ),
    "affected_agents": F(
        "object_list",
        spec={
            "agent": F("ref", required=True, ref="agent"),
            "direction": F("enum", required=True, choices=EFFECT_DIRECTION.values),
            "evidence": F("enum", required=True, choices=EVIDENCE_LEVEL.values),
            "note": F("text"),
            "sources": SOURCE_REFS,
        },
    ),
    "overcoming": F(
        "object_list",
        spec={
            "agent": F("ref", ref="agent"),
            "strategy": F("str"),
            "evidence": F("enum", required=True, choices=EVIDENCE_LEVEL.values),
            "note": F("text"),
            "sources": SOURCE_REFS,
        },
    ),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}


SAFETY_WARNING = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "agent": F("ref", required=True, ref="agent"),
    "regulator": F("enum", required=True, choices=REGULATOR.values),
    "kind": F("enum", required=True, choices=SAFETY_WARNING_KIND.values),
    "event": F("enum", required=True, choices=SAFETY_EVENT.values),
    "summary": F("text", required=True),
    "date_added": F("partial_date", interval="[1990-01-01, )"),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

RELEASE = {
    "version": F("pattern", required=True, pattern=r"^[0-9]{4}\.[0-9]{1,2}\.[0-9]+$"),
    "notes": F("text"),
}

# Top-level list name -> (entity kind used in references, key field, spec).
SECTIONS: dict[str, tuple[str, str, dict[str, F]]] = {
    "sources": ("source", "slug", SOURCE),
    "targets": ("target", "symbol", TARGET),
    "biomarkers": ("biomarker", "slug", BIOMARKER),
    "agents": ("agent", "slug", AGENT),
    "companion_diagnostics": ("companion_diagnostic", "slug", COMPANION_DIAGNOSTIC),
    "indications": ("indication", "slug", INDICATION),
    "trials": ("trial", "slug", TRIAL),
    "approvals": ("approval", "slug", APPROVAL),
    "resistance_mechanisms": ("resistance_mechanism", "slug", RESISTANCE_MECHANISM),
    "safety_warnings": ("safety_warning", "slug", SAFETY_WARNING),
}
