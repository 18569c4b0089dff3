"""Every vocabulary of the data model, declared once: the values stored in the database,
in their order, each with a description.

Derived from here: the GraphQL enums (schema/enums.py: a vocabulary's `name` is the
enum type's name, a term's `name` its member name), the seed spec's enum choices
(seeds/spec.py). The migrations' CHECK lists and the `endpoints` rows are compared with
these by tests/test_vocabularies.py, and db/tables.py names the vocabulary of each
constrained column (`Column.info["vocabulary"]`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One allowed value: as stored, described, and named as a constant (its upper case
    unless given, e.g. phase "1/2" is PHASE_1_2)."""

    value: str
    description: str
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.value.upper())


@dataclass(frozen=True)
class Vocabulary:
    name: str
    description: str
    terms: tuple[Term, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(term.value for term in self.terms)


MODALITY = Vocabulary(
    "Modality",
    "The kind of therapeutic agent.",
    (
        Term(
            "monoclonal_antibody",
            "A monoclonal antibody (including biosimilars and fixed-dose antibody combinations).",
        ),
        Term("antibody_drug_conjugate", "An antibody linked to a cytotoxic payload."),
        Term("bispecific_antibody", "An antibody binding two different epitopes or antigens."),
        Term("tyrosine_kinase_inhibitor", "A small-molecule inhibitor of a receptor tyrosine kinase."),
        Term("car_t", "A chimeric antigen receptor T-cell therapy (living cell product)."),
        Term("other", "Any other modality."),
    ),
)


DEVELOPMENT_STATUS = Vocabulary(
    "DevelopmentStatus",
    "Where an agent stands in development, overall or in one region.",
    (
        Term("approved", "Approved by at least one regulator (overall) or in that region."),
        Term("investigational", "In clinical development, not approved."),
        Term("discontinued", "Development stopped or the product withdrawn."),
    ),
)


PAYLOAD_CLASS = Vocabulary(
    "PayloadClass",
    "Pharmacological class of an antibody-drug conjugate's payload.",
    (
        Term("topoisomerase_i_inhibitor", "A topoisomerase I inhibitor such as DXd or SN-38."),
        Term("microtubule_inhibitor", "A microtubule inhibitor such as DM1 or MMAE."),
        Term("dna_alkylator", "A DNA-alkylating agent such as a duocarmycin."),
        Term("other", "Any other payload class."),
    ),
)


BIOMARKER_KIND = Vocabulary(
    "BiomarkerKind",
    "The kind of biomarker that defines an indication.",
    (
        Term("protein_expression", "Protein expression, e.g. HER2 by immunohistochemistry (IHC)."),
        Term("gene_amplification", "Gene amplification, e.g. ERBB2 by in situ hybridisation (ISH)."),
        Term("mutation", "An activating mutation, e.g. ERBB2 exon 20 insertions."),
        Term("fusion", "A gene fusion, e.g. NRG1 fusions."),
        Term("none", "No biomarker selection."),
    ),
)


BIOMARKER_STATUS = Vocabulary(
    "BiomarkerStatus",
    "The biomarker status an indication requires.",
    (
        Term("positive", "Positive (for HER2: IHC 3+ or ISH-amplified)."),
        Term("low", "Low expression (for HER2: IHC 1+ or IHC 2+ with negative ISH)."),
        Term(
            "ultralow",
            "Ultralow expression (for HER2: IHC 0 with faint, incomplete membrane staining in up to 10% of cells).",
        ),
        Term("negative", "Negative."),
        Term("mutant", "Carries an activating mutation."),
        Term("fusion", "Carries a gene fusion."),
        Term("amplified", "Gene amplified."),
    ),
)


DIAGNOSTIC_METHOD = Vocabulary(
    "DiagnosticMethod",
    "The technique a diagnostic assay measures a biomarker with.",
    (
        Term("ihc", "Immunohistochemistry on tumour tissue.", name="IHC"),
        Term("ish", "In situ hybridisation (FISH, CISH, dual ISH) on tumour tissue.", name="ISH"),
        Term("ngs_tissue", "Next-generation sequencing of tumour tissue."),
        Term("ngs_plasma", "Next-generation sequencing of circulating tumour DNA in plasma."),
        Term("pcr", "Polymerase chain reaction."),
        Term("flow_cytometry", "Flow cytometry."),
        Term("other", "Any other technique."),
    ),
)


INDICATION_SETTING = Vocabulary(
    "IndicationSetting",
    "The disease setting of an indication.",
    (
        Term("any", "Any stage; a grouping node."),
        Term("early", "Early (non-metastatic, operable or locally advanced) disease."),
        Term("metastatic", "Metastatic or unresectable disease."),
        Term("advanced", "Locally advanced or metastatic disease."),
        Term("relapsed_refractory", "Relapsed or refractory disease."),
    ),
)


REGULATOR = Vocabulary(
    "Regulator",
    "A medicines regulator.",
    (
        Term("FDA", "US Food and Drug Administration."),
        Term("EMA", "European Medicines Agency (European Commission decision)."),
        Term("NMPA", "China National Medical Products Administration."),
        Term("PMDA", "Japan Pharmaceuticals and Medical Devices Agency / MHLW."),
        Term("MHRA", "UK Medicines and Healthcare products Regulatory Agency."),
        Term("HC", "Health Canada."),
        Term("TGA", "Australia Therapeutic Goods Administration."),
    ),
)


APPROVAL_TYPE = Vocabulary(
    "ApprovalType",
    "The regulatory pathway of an approval.",
    (
        Term("regular", "FDA regular (traditional) approval."),
        Term("accelerated", "FDA accelerated approval, contingent on confirmatory trials."),
        Term("conditional", "Conditional marketing authorisation (e.g. EMA)."),
        Term("full", "Standard (full) marketing authorisation (e.g. EMA)."),
    ),
)


PHASE = Vocabulary(
    "Phase",
    "Clinical trial phase.",
    (
        Term("1", "Phase 1.", name="PHASE_1"),
        Term("1/2", "Phase 1/2.", name="PHASE_1_2"),
        Term("2", "Phase 2.", name="PHASE_2"),
        Term("2/3", "Phase 2/3.", name="PHASE_2_3"),
        Term("3", "Phase 3.", name="PHASE_3"),
        Term("4", "Phase 4.", name="PHASE_4"),
    ),
)


TRIAL_STATUS = Vocabulary(
    "TrialStatus",
    "Recruitment status of a trial, as a registry reports it.",
    (
        Term("not_yet_recruiting", "Not yet recruiting."),
        Term("recruiting", "Recruiting."),
        Term("enrolling_by_invitation", "Enrolling by invitation."),
        Term("active_not_recruiting", "Active, not recruiting."),
        Term("completed", "Completed."),
        Term("suspended", "Suspended."),
        Term("terminated", "Terminated early."),
        Term("withdrawn", "Withdrawn before enrolment."),
        Term("unknown", "Status not known."),
    ),
)


BLINDING = Vocabulary(
    "Blinding",
    "Masking of a trial.",
    (
        Term("open_label", "Open label."),
        Term("single_blind", "Single blind."),
        Term("double_blind", "Double blind."),
    ),
)


TRIAL_SETTING = Vocabulary(
    "TrialSetting",
    "The treatment setting a trial studies.",
    (
        Term("neoadjuvant", "Before surgery."),
        Term("adjuvant", "After surgery."),
        Term("perioperative", "Before and after surgery."),
        Term("early", "Early disease, setting not further specified."),
        Term("metastatic", "Metastatic or unresectable disease."),
        Term("advanced", "Locally advanced or metastatic disease."),
        Term("relapsed_refractory", "Relapsed or refractory disease."),
    ),
)


ARM_ROLE = Vocabulary(
    "ArmRole",
    "The role of an arm in a trial.",
    (
        Term("experimental", "The experimental arm of a comparison."),
        Term("control", "The control arm of a comparison."),
        Term("single_arm", "A single-arm cohort without a concurrent control."),
    ),
)


REGIMEN_ROLE = Vocabulary(
    "RegimenRole",
    "The role of a drug within an arm's regimen.",
    (
        Term("investigational", "The drug under investigation."),
        Term("backbone", "Given in every arm as the common backbone."),
        Term("comparator", "The active comparator."),
        Term("placebo", "Placebo."),
    ),
)


ENDPOINT_KIND = Vocabulary(
    "EndpointKind",
    "What an endpoint measures.",
    (
        Term("time_to_event", "Time to an event (medians, hazard ratios, landmark rates)."),
        Term("rate", "A proportion of patients, in percent."),
        Term("duration", "A duration among responders."),
        Term("safety_rate", "A proportion of patients with an adverse event, in percent."),
    ),
)


ASSESSMENT = Vocabulary(
    "Assessment",
    "Who assessed an outcome.",
    (
        Term("investigator", "Assessed by the investigators."),
        Term("independent_review", "Assessed by blinded independent central review."),
        Term("not_stated", "The source does not say."),
    ),
)


ANALYSIS = Vocabulary(
    "Analysis",
    "Which analysis of a trial a result comes from.",
    (
        Term("primary", "The primary analysis."),
        Term("interim", "A prespecified interim analysis."),
        Term("final", "The final (prespecified) analysis."),
        Term("updated", "An updated analysis with longer follow-up."),
        Term("end_of_study", "The end-of-study analysis."),
        Term("exploratory", "A post hoc or exploratory analysis."),
    ),
)


POPULATION_KIND = Vocabulary(
    "PopulationKind",
    "Which patients an outcome's analysis counts.",
    (
        Term("intention_to_treat", "All randomised (or all enrolled) patients, as randomised."),
        Term("per_protocol", "Patients treated per protocol."),
        Term(
            "modified_itt",
            "Treated, infused or efficacy-evaluable patients (a modified intention-to-treat or full analysis set).",
        ),
        Term("safety", "The safety population."),
        Term(
            "cohort",
            "A cohort, dose level or subgroup of the trial (e.g. the hormone receptor-positive cohort).",
        ),
        Term("responders", "Patients who responded (e.g. for the duration of response)."),
    ),
)


TIME_UNIT = Vocabulary(
    "TimeUnit",
    "Time unit of a median.",
    (
        Term("days", "Days."),
        Term("weeks", "Weeks."),
        Term("months", "Months."),
        Term("years", "Years."),
    ),
)


RESISTANCE_CATEGORY = Vocabulary(
    "ResistanceCategory",
    "The biological category of a resistance mechanism.",
    (
        Term("target_alteration", "A change of the target itself (truncation, mutation)."),
        Term("bypass_signalling", "Signalling through another receptor or pathway."),
        Term("downstream_pathway_activation", "Activation of a pathway below the target (e.g. PI3K)."),
        Term("epitope_masking", "The antibody's epitope hidden by other molecules."),
        Term("adc_processing", "Impaired internalisation, trafficking or lysosomal release of an ADC."),
        Term("payload_efflux", "The payload pumped out of the cell."),
        Term("payload_target_alteration", "A change of the payload's molecular target (e.g. TOP1)."),
        Term("antigen_loss", "Loss of the target antigen from the tumour."),
        Term("lineage_switch", "A switch of the tumour to a lineage without the antigen."),
        Term("t_cell_dysfunction", "Exhaustion or poor persistence of therapeutic T cells."),
        Term("tumour_microenvironment", "Suppression by the tumour microenvironment."),
        Term("expression_heterogeneity", "Low or heterogeneous target expression."),
        Term("other", "Any other mechanism."),
    ),
)


BIOMARKER_MARKER_KIND = Vocabulary(
    "BiomarkerMarkerKind",
    "The kind of a resistance biomarker.",
    (
        Term("protein", "A protein or protein form."),
        Term("mutation", "A gene mutation."),
        Term("amplification", "A gene amplification."),
        Term("expression", "An expression level."),
        Term("fusion", "A gene fusion."),
        Term("splice_variant", "A splice variant."),
        Term("other", "Any other kind."),
    ),
)


EFFECT_DIRECTION = Vocabulary(
    "EffectDirection",
    "How a resistance mechanism changes an agent's activity.",
    (
        Term("decreases_sensitivity", "The mechanism reduces the agent's activity."),
        Term("increases_sensitivity", "The mechanism increases the agent's activity."),
        Term("no_effect", "The agent keeps its activity despite the mechanism."),
    ),
)


EVIDENCE_LEVEL = Vocabulary(
    "EvidenceLevel",
    "The strength of the evidence behind a claim.",
    (
        Term("clinical", "Clinical data from trials or patient cohorts."),
        Term("preclinical", "Cell-line or animal models."),
        Term("case_report", "Individual patient reports."),
    ),
)


SAFETY_WARNING_KIND = Vocabulary(
    "SafetyWarningKind",
    "Where a safety warning sits on a label.",
    (
        Term("boxed_warning", "A boxed warning (the most serious label warning)."),
        Term("warning", "A warning or precaution in the label body."),
        Term("rems", "A Risk Evaluation and Mitigation Strategy (FDA)."),
    ),
)


SAFETY_EVENT = Vocabulary(
    "SafetyEvent",
    "The adverse event a safety warning is about.",
    (
        Term("cytokine_release_syndrome", "Cytokine release syndrome (CRS)."),
        Term("neurologic_toxicity", "Neurological toxicity, including ICANS."),
        Term("t_cell_malignancy", "T-cell malignancies after cell therapy."),
        Term("secondary_malignancy", "Other secondary malignancies."),
        Term("prolonged_cytopenia", "Prolonged cytopenias."),
        Term("hlh_mas", "Haemophagocytic lymphohistiocytosis / macrophage activation syndrome."),
        Term("infection", "Serious infections."),
        Term("cardiomyopathy", "Cardiomyopathy or left-ventricular dysfunction."),
        Term("embryo_fetal_toxicity", "Embryo-fetal toxicity."),
        Term("interstitial_lung_disease", "Interstitial lung disease or pneumonitis."),
        Term("hepatotoxicity", "Hepatotoxicity."),
        Term("infusion_reaction", "Infusion reactions or pulmonary toxicity."),
        Term("other", "Any other event (e.g. a REMS covering several events)."),
    ),
)


SOURCE_KIND = Vocabulary(
    "SourceKind",
    "What a source is, as a citation (not where it was read). Its authority tier follows from it.",
    (
        Term(
            "regulatory_document",
            "A drug or device label (prescribing information, SmPC) or a regulator's decision, approval"
            " letter, notice, assessment report or approval summary.",
        ),
        Term("peer_reviewed_article", "A peer-reviewed journal article reporting original results."),
        Term("registry_record", "A trial-registry record (ClinicalTrials.gov, EU CTR, ANZCTR, ...)."),
        Term("conference_abstract", "A conference abstract, poster or presentation."),
        Term("review", "A review, guideline, editorial or commentary synthesising others' results."),
        Term("press_or_news", "A press release, news report or trade-press article."),
        Term("other", "Any other page: a company or HCP website, blog, slide capture or database entry."),
    ),
)


SOURCE_TIER = Vocabulary(
    "SourceTier",
    "How much authority a source carries, from its kind; from highest to lowest.",
    (
        Term(
            "primary",
            "The document of record: the label or regulator's decision, the peer-reviewed results"
            " publication, the registry record. Enough on its own.",
        ),
        Term("preliminary", "Results presented at a meeting, not yet peer-reviewed in full."),
        Term("secondary", "A synthesis of others' results (review, guideline, commentary)."),
        Term(
            "unvetted",
            "A press release, news report, company page, blog or slide capture: never the only source of a fact.",
        ),
    ),
)

# The authority tier of each source kind (a test checks every kind has one).
SOURCE_KIND_TIER: dict[str, str] = {
    "regulatory_document": "primary",
    "peer_reviewed_article": "primary",
    "registry_record": "primary",
    "conference_abstract": "preliminary",
    "review": "secondary",
    "press_or_news": "unvetted",
    "other": "unvetted",
}


# Partial dates ('YYYY', 'YYYY-MM', 'YYYY-MM-DD') are stored as their first day plus this.
DATE_PRECISION = Vocabulary(
    "DatePrecision",
    "How precisely a curated date is known.",
    (
        Term("year", "Known to the year (YYYY)."),
        Term("month", "Known to the month (YYYY-MM)."),
        Term("day", "Known to the day (YYYY-MM-DD)."),
    ),
)

# The rows the first migration inserts into `endpoints` (a test checks it).
ENDPOINT_CODE = Vocabulary(
    "EndpointCode",
    "The code of a trial endpoint.",
    (
        Term("OS", "Overall survival."),
        Term("PFS", "Progression-free survival."),
        Term("DFS", "Disease-free survival."),
        Term("IDFS", "Invasive disease-free survival."),
        Term("EFS", "Event-free survival."),
        Term("RFS", "Relapse-free survival."),
        Term("TTP", "Time to progression."),
        Term("pCR", "Pathological complete response."),
        Term("ORR", "Objective response rate."),
        Term("CRR", "Complete response rate."),
        Term("DCR", "Disease control rate."),
        Term("CBR", "Clinical benefit rate."),
        Term("DOR", "Duration of response."),
        Term("CRS_G3", "Cytokine release syndrome, grade 3 or higher."),
        Term("NEUROTOX_G3", "Neurological toxicity, grade 3 or higher."),
        Term("CR_CRI", "Complete remission with or without count recovery (CR or CRi)."),
        Term("AE_G3", "Adverse events of any cause, grade 3 or higher."),
        Term("TRAE_G3", "Treatment-related adverse events, grade 3 or higher."),
    ),
)

RELEASE_FILE_KIND = Vocabulary(
    "ReleaseFileKind",
    "What a file kept with a data release is (release_files, migration 0011).",
    (
        Term("export", "A file of the release's bulk export, as /export/{version}/ serves it."),
        Term("seed", "A curated seed file the release was loaded from (a rollback loads it again)."),
    ),
)


VOCABULARIES: dict[str, Vocabulary] = {
    vocabulary.name: vocabulary
    for vocabulary in (
        MODALITY,
        DEVELOPMENT_STATUS,
        PAYLOAD_CLASS,
        BIOMARKER_KIND,
        BIOMARKER_STATUS,
        DIAGNOSTIC_METHOD,
        INDICATION_SETTING,
        REGULATOR,
        APPROVAL_TYPE,
        PHASE,
        TRIAL_STATUS,
        BLINDING,
        TRIAL_SETTING,
        ARM_ROLE,
        REGIMEN_ROLE,
        ENDPOINT_KIND,
        ASSESSMENT,
        ANALYSIS,
        POPULATION_KIND,
        TIME_UNIT,
        RESISTANCE_CATEGORY,
        BIOMARKER_MARKER_KIND,
        EFFECT_DIRECTION,
        EVIDENCE_LEVEL,
        SAFETY_WARNING_KIND,
        SAFETY_EVENT,
        SOURCE_KIND,
        SOURCE_TIER,
        DATE_PRECISION,
        ENDPOINT_CODE,
        RELEASE_FILE_KIND,
    )
}
