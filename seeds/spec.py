"""The shape of every curated entry: fields, types, enums and references.

The loader validates each entry against these specs before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

MODALITIES = (
    "monoclonal_antibody",
    "antibody_drug_conjugate",
    "bispecific_antibody",
    "tyrosine_kinase_inhibitor",
    "car_t",
    "other",
)
DEVELOPMENT_STATUSES = ("approved", "investigational", "discontinued")
PAYLOAD_CLASSES = ("topoisomerase_i_inhibitor", "microtubule_inhibitor", "dna_alkylator", "other")
SOURCE_KINDS = ("publication", "label", "registry", "regulator", "conference_abstract", "web")
BIOMARKER_KINDS = ("protein_expression", "gene_amplification", "mutation", "fusion", "none")
BIOMARKER_STATUSES = ("positive", "low", "ultralow", "negative", "mutant", "fusion", "amplified")
INDICATION_SETTINGS = ("any", "early", "metastatic", "advanced", "relapsed_refractory")
REGULATORS = ("FDA", "EMA", "NMPA", "PMDA", "MHRA", "HC", "TGA")
APPROVAL_TYPES = ("regular", "accelerated", "conditional", "full")
PHASES = ("1", "1/2", "2", "2/3", "3", "4")
TRIAL_STATUSES = (
    "not_yet_recruiting",
    "recruiting",
    "enrolling_by_invitation",
    "active_not_recruiting",
    "completed",
    "suspended",
    "terminated",
    "withdrawn",
    "unknown",
)
BLINDINGS = ("open_label", "single_blind", "double_blind")
TRIAL_SETTINGS = (
    "neoadjuvant",
    "adjuvant",
    "perioperative",
    "early",
    "metastatic",
    "advanced",
    "relapsed_refractory",
)
ARM_ROLES = ("experimental", "control", "single_arm")
REGIMEN_ROLES = ("investigational", "backbone", "comparator", "placebo")
# Must match the rows the first migration inserts into `endpoints` (a test checks it).
ENDPOINT_CODES = (
    "OS",
    "PFS",
    "DFS",
    "IDFS",
    "EFS",
    "RFS",
    "TTP",
    "pCR",
    "ORR",
    "CRR",
    "DCR",
    "CBR",
    "DOR",
    "CRS_G3",
    "NEUROTOX_G3",
)
ASSESSMENTS = ("investigator", "independent_review", "not_stated")
ANALYSES = ("primary", "interim", "final", "updated", "end_of_study", "exploratory")
UNITS = ("days", "weeks", "months", "years")
RESISTANCE_CATEGORIES = (
    "target_alteration",
    "bypass_signalling",
    "downstream_pathway_activation",
    "epitope_masking",
    "adc_processing",
    "payload_efflux",
    "payload_target_alteration",
    "antigen_loss",
    "lineage_switch",
    "t_cell_dysfunction",
    "tumour_microenvironment",
    "expression_heterogeneity",
    "other",
)
BIOMARKER_MARKER_KINDS = (
    "protein",
    "mutation",
    "amplification",
    "expression",
    "fusion",
    "splice_variant",
    "other",
)
DIRECTIONS = ("decreases_sensitivity", "increases_sensitivity", "no_effect")
EVIDENCE_LEVELS = ("clinical", "preclinical", "case_report")


@dataclass(frozen=True)
class F:
    """One field of an entry.

    kind: str | text | int | number | bool | date (full ISO date) | partial_date
    (YYYY, YYYY-MM or YYYY-MM-DD) | str_list | enum | pattern | ref | ref_list | object
    | object_list | ci (a [lower, upper] pair of numbers or nulls).
    """

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    pattern: str = ""
    ref: str = ""
    spec: dict[str, F] = field(default_factory=dict)


SOURCE_REFS = F("ref_list", ref="source")

SOURCE = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "kind": F("enum", required=True, choices=SOURCE_KINDS),
    "title": F("str", required=True),
    "year": F("int"),
    "pmid": F("pattern", pattern=r"^[0-9]{1,9}$"),
    "doi": F("pattern", pattern=r"^10\.[0-9]{4,9}/\S+$"),
    "nct_id": F("pattern", pattern=r"^NCT[0-9]{8}$"),
    "url": F("pattern", pattern=r"^https?://\S+$"),
    "citation": F("str"),
    "notes": F("text"),
}

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

AGENT = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "name": F("str", required=True),
    "synonyms": F("str_list"),
    "brand_names": F("str_list"),
    "code_names": F("str_list"),
    "modality": F("enum", required=True, choices=MODALITIES),
    "targets": F("ref_list", ref="target"),
    "biosimilar_of": F("ref", ref="agent"),
    "components": F("ref_list", ref="agent"),
    "mechanism": F("text"),
    "binding_site": F("str"),
    "adc": F(
        "object",
        spec={
            "payload": F("str", required=True),
            "payload_class": F("enum", choices=PAYLOAD_CLASSES),
            "linker": F("str"),
            "linker_cleavable": F("bool"),
            "drug_to_antibody_ratio": F("number"),
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
    "development_status": F("enum", required=True, choices=DEVELOPMENT_STATUSES),
    "regional_status": F(
        "object_list",
        spec={
            "region": F("pattern", required=True, pattern=r"^[A-Z]{2,3}$"),
            "status": F("enum", required=True, choices=DEVELOPMENT_STATUSES),
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
            "kind": F("enum", required=True, choices=BIOMARKER_KINDS),
            "status": F("enum", choices=BIOMARKER_STATUSES),
            "definition": F("text"),
        },
    ),
    "setting": F("enum", required=True, choices=INDICATION_SETTINGS),
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
    "regulator": F("enum", required=True, choices=REGULATORS),
    "date": F("partial_date", required=True),
    "type": F("enum", choices=APPROVAL_TYPES),
    "line": F("text"),
    "pivotal_trials": F("ref_list", ref="trial"),
    "summary": F("text"),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

ARM_RESULT = {
    "arm": F("str", required=True),
    "median": F("number"),
    "median_ci": F("ci"),
    "median_not_reached": F("bool"),
    "unit": F("enum", choices=UNITS),
    "rate": F("number"),
    "rate_ci": F("ci"),
    "timepoint": F("str"),
    "events": F("int"),
    "n": F("int"),
    "notes": F("text"),
}

OUTCOME = {
    "slug": F("pattern", pattern=SLUG_PATTERN),
    "endpoint": F("enum", required=True, choices=ENDPOINT_CODES),
    "assessment": F("enum", choices=ASSESSMENTS),
    "analysis": F("enum", required=True, choices=ANALYSES),
    "analysis_label": F("text"),
    "data_cutoff": F("partial_date"),
    "population": F("text"),
    "arms": F("object_list", spec=ARM_RESULT),
    "hazard_ratio": F("number"),
    "hazard_ratio_ci": F("ci"),
    "p_value": F("str"),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

ARM = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "label": F("str", required=True),
    "role": F("enum", required=True, choices=ARM_ROLES),
    "size": F("int"),
    "regimen": F(
        "object_list",
        spec={
            "agent": F("ref", ref="agent"),
            "drug": F("str"),
            "role": F("enum", required=True, choices=REGIMEN_ROLES),
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
    "phase": F("enum", required=True, choices=PHASES),
    "status": F("enum", choices=TRIAL_STATUSES),
    "randomised": F("bool", required=True),
    "blinding": F("enum", choices=BLINDINGS),
    "population": F("text"),
    "setting": F("enum", required=True, choices=TRIAL_SETTINGS),
    "line": F("str"),
    "indications": F("ref_list", ref="indication"),
    "enrollment": F("int"),
    "start_date": F("partial_date"),
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
    "category": F("enum", required=True, choices=RESISTANCE_CATEGORIES),
    "description": F("text", required=True),
    "biomarkers": F(
        "object_list",
        spec={
            "name": F("str", required=True),
            "kind": F("enum", required=True, choices=BIOMARKER_MARKER_KINDS),
        },
    ),
    "affected_agents": F(
        "object_list",
        spec={
            "agent": F("ref", required=True, ref="agent"),
            "direction": F("enum", required=True, choices=DIRECTIONS),
            "evidence": F("enum", required=True, choices=EVIDENCE_LEVELS),
            "note": F("text"),
            "sources": SOURCE_REFS,
        },
    ),
    "overcoming": F(
        "object_list",
        spec={
            "agent": F("ref", ref="agent"),
            "strategy": F("str"),
            "evidence": F("enum", required=True, choices=EVIDENCE_LEVELS),
            "note": F("text"),
            "sources": SOURCE_REFS,
        },
    ),
    "sources": F("ref_list", required=True, ref="source"),
    "notes": F("text"),
}

SAFETY_EVENTS = (
    "cytokine_release_syndrome",
    "neurologic_toxicity",
    "t_cell_malignancy",
    "secondary_malignancy",
    "prolonged_cytopenia",
    "hlh_mas",
    "infection",
    "cardiomyopathy",
    "embryo_fetal_toxicity",
    "interstitial_lung_disease",
    "hepatotoxicity",
    "infusion_reaction",
    "other",
)
SAFETY_KINDS = ("boxed_warning", "warning", "rems")

SAFETY_WARNING = {
    "slug": F("pattern", required=True, pattern=SLUG_PATTERN),
    "agent": F("ref", required=True, ref="agent"),
    "regulator": F("enum", required=True, choices=REGULATORS),
    "kind": F("enum", required=True, choices=SAFETY_KINDS),
    "event": F("enum", required=True, choices=SAFETY_EVENTS),
    "summary": F("text", required=True),
    "date_added": F("partial_date"),
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
    "agents": ("agent", "slug", AGENT),
    "indications": ("indication", "slug", INDICATION),
    "trials": ("trial", "slug", TRIAL),
    "approvals": ("approval", "slug", APPROVAL),
    "resistance_mechanisms": ("resistance_mechanism", "slug", RESISTANCE_MECHANISM),
    "safety_warnings": ("safety_warning", "slug", SAFETY_WARNING),
}
