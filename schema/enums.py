"""Enumerations shared by the domain types; values are the strings stored in the database."""

from __future__ import annotations

from enum import Enum

import strawberry

V = strawberry.enum_value


@strawberry.enum(description="The kind of therapeutic agent.")
class Modality(Enum):
    MONOCLONAL_ANTIBODY = V(
        "monoclonal_antibody",
        description="A monoclonal antibody (including biosimilars and fixed-dose antibody combinations).",
    )
    ANTIBODY_DRUG_CONJUGATE = V(
        "antibody_drug_conjugate", description="An antibody linked to a cytotoxic payload."
    )
    BISPECIFIC_ANTIBODY = V(
        "bispecific_antibody", description="An antibody binding two different epitopes or antigens."
    )
    TYROSINE_KINASE_INHIBITOR = V(
        "tyrosine_kinase_inhibitor",
        description="A small-molecule inhibitor of a receptor tyrosine kinase.",
    )
    CAR_T = V("car_t", description="A chimeric antigen receptor T-cell therapy (living cell product).")
    OTHER = V("other", description="Any other modality.")


@strawberry.enum(description="Where an agent stands in development, overall or in one region.")
class DevelopmentStatus(Enum):
    APPROVED = V("approved", description="Approved by at least one regulator (overall) or in that region.")
    INVESTIGATIONAL = V("investigational", description="In clinical development, not approved.")
    DISCONTINUED = V("discontinued", description="Development stopped or the product withdrawn.")


@strawberry.enum(description="Pharmacological class of an antibody-drug conjugate's payload.")
class PayloadClass(Enum):
    TOPOISOMERASE_I_INHIBITOR = V(
        "topoisomerase_i_inhibitor", description="A topoisomerase I inhibitor such as DXd or SN-38."
    )
    MICROTUBULE_INHIBITOR = V(
        "microtubule_inhibitor", description="A microtubule inhibitor such as DM1 or MMAE."
    )
    DNA_ALKYLATOR = V("dna_alkylator", description="A DNA-alkylating agent such as a duocarmycin.")
    OTHER = V("other", description="Any other payload class.")


@strawberry.enum(description="The kind of biomarker that defines an indication.")
class BiomarkerKind(Enum):
    PROTEIN_EXPRESSION = V(
        "protein_expression",
        description="Protein expression, e.g. HER2 by immunohistochemistry (IHC).",
    )
    GENE_AMPLIFICATION = V(
        "gene_amplification",
        description="Gene amplification, e.g. ERBB2 by in situ hybridisation (ISH).",
    )
    MUTATION = V("mutation", description="An activating mutation, e.g. ERBB2 exon 20 insertions.")
    FUSION = V("fusion", description="A gene fusion, e.g. NRG1 fusions.")
    NONE = V("none", description="No biomarker selection.")


@strawberry.enum(description="The biomarker status an indication requires.")
class BiomarkerStatus(Enum):
    POSITIVE = V("positive", description="Positive (for HER2: IHC 3+ or ISH-amplified).")
    LOW = V("low", description="Low expression (for HER2: IHC 1+ or IHC 2+ with negative ISH).")
    ULTRALOW = V(
        "ultralow",
        description="Ultralow expression (for HER2: IHC 0 with faint, incomplete membrane staining in up to 10% of cells).",
    )
    NEGATIVE = V("negative", description="Negative.")
    MUTANT = V("mutant", description="Carries an activating mutation.")
    FUSION = V("fusion", description="Carries a gene fusion.")
    AMPLIFIED = V("amplified", description="Gene amplified.")


@strawberry.enum(description="The disease setting of an indication.")
class IndicationSetting(Enum):
    ANY = V("any", description="Any stage; a grouping node.")
    EARLY = V("early", description="Early (non-metastatic, operable or locally advanced) disease.")
    METASTATIC = V("metastatic", description="Metastatic or unresectable disease.")
    ADVANCED = V("advanced", description="Locally advanced or metastatic disease.")
    RELAPSED_REFRACTORY = V("relapsed_refractory", description="Relapsed or refractory disease.")


@strawberry.enum(description="A medicines regulator.")
class Regulator(Enum):
    FDA = V("FDA", description="US Food and Drug Administration.")
    EMA = V("EMA", description="European Medicines Agency (European Commission decision).")
    NMPA = V("NMPA", description="China National Medical Products Administration.")
    PMDA = V("PMDA", description="Japan Pharmaceuticals and Medical Devices Agency / MHLW.")
    MHRA = V("MHRA", description="UK Medicines and Healthcare products Regulatory Agency.")
    HC = V("HC", description="Health Canada.")
    TGA = V("TGA", description="Australia Therapeutic Goods Administration.")


@strawberry.enum(description="The regulatory pathway of an approval.")
class ApprovalType(Enum):
    REGULAR = V("regular", description="FDA regular (traditional) approval.")
    ACCELERATED = V("accelerated", description="FDA accelerated approval, contingent on confirmatory trials.")
    CONDITIONAL = V("conditional", description="Conditional marketing authorisation (e.g. EMA).")
    FULL = V("full", description="Standard (full) marketing authorisation (e.g. EMA).")


@strawberry.enum(description="Clinical trial phase.")
class Phase(Enum):
    PHASE_1 = V("1", description="Phase 1.")
    PHASE_1_2 = V("1/2", description="Phase 1/2.")
    PHASE_2 = V("2", description="Phase 2.")
    PHASE_2_3 = V("2/3", description="Phase 2/3.")
    PHASE_3 = V("3", description="Phase 3.")
    PHASE_4 = V("4", description="Phase 4.")


@strawberry.enum(description="Recruitment status of a trial, as a registry reports it.")
class TrialStatus(Enum):
    NOT_YET_RECRUITING = V("not_yet_recruiting", description="Not yet recruiting.")
    RECRUITING = V("recruiting", description="Recruiting.")
    ENROLLING_BY_INVITATION = V("enrolling_by_invitation", description="Enrolling by invitation.")
    ACTIVE_NOT_RECRUITING = V("active_not_recruiting", description="Active, not recruiting.")
    COMPLETED = V("completed", description="Completed.")
    SUSPENDED = V("suspended", description="Suspended.")
    TERMINATED = V("terminated", description="Terminated early.")
    WITHDRAWN = V("withdrawn", description="Withdrawn before enrolment.")
    UNKNOWN = V("unknown", description="Status not known.")


@strawberry.enum(description="Masking of a trial.")
class Blinding(Enum):
    OPEN_LABEL = V("open_label", description="Open label.")
    SINGLE_BLIND = V("single_blind", description="Single blind.")
    DOUBLE_BLIND = V("double_blind", description="Double blind.")


@strawberry.enum(description="The treatment setting a trial studies.")
class TrialSetting(Enum):
    NEOADJUVANT = V("neoadjuvant", description="Before surgery.")
    ADJUVANT = V("adjuvant", description="After surgery.")
    PERIOPERATIVE = V("perioperative", description="Before and after surgery.")
    EARLY = V("early", description="Early disease, setting not further specified.")
    METASTATIC = V("metastatic", description="Metastatic or unresectable disease.")
    ADVANCED = V("advanced", description="Locally advanced or metastatic disease.")
    RELAPSED_REFRACTORY = V("relapsed_refractory", description="Relapsed or refractory disease.")


@strawberry.enum(description="The role of an arm in a trial.")
class ArmRole(Enum):
    EXPERIMENTAL = V("experimental", description="The experimental arm of a comparison.")
    CONTROL = V("control", description="The control arm of a comparison.")
    SINGLE_ARM = V("single_arm", description="A single-arm cohort without a concurrent control.")


@strawberry.enum(description="The role of a drug within an arm's regimen.")
class RegimenRole(Enum):
    INVESTIGATIONAL = V("investigational", description="The drug under investigation.")
    BACKBONE = V("backbone", description="Given in every arm as the common backbone.")
    COMPARATOR = V("comparator", description="The active comparator.")
    PLACEBO = V("placebo", description="Placebo.")


@strawberry.enum(description="What an endpoint measures.")
class EndpointKind(Enum):
    TIME_TO_EVENT = V(
        "time_to_event", description="Time to an event (medians, hazard ratios, landmark rates)."
    )
    RATE = V("rate", description="A proportion of patients, in percent.")
    DURATION = V("duration", description="A duration among responders.")
    SAFETY_RATE = V("safety_rate", description="A proportion of patients with an adverse event, in percent.")


@strawberry.enum(description="Who assessed an outcome.")
class Assessment(Enum):
    INVESTIGATOR = V("investigator", description="Assessed by the investigators.")
    INDEPENDENT_REVIEW = V(
        "independent_review", description="Assessed by blinded independent central review."
    )
    NOT_STATED = V("not_stated", description="The source does not say.")


@strawberry.enum(description="Which analysis of a trial a result comes from.")
class Analysis(Enum):
    PRIMARY = V("primary", description="The primary analysis.")
    INTERIM = V("interim", description="A prespecified interim analysis.")
    FINAL = V("final", description="The final (prespecified) analysis.")
    UPDATED = V("updated", description="An updated analysis with longer follow-up.")
    END_OF_STUDY = V("end_of_study", description="The end-of-study analysis.")
    EXPLORATORY = V("exploratory", description="A post hoc or exploratory analysis.")


@strawberry.enum(description="Time unit of a median.")
class TimeUnit(Enum):
    DAYS = V("days", description="Days.")
    WEEKS = V("weeks", description="Weeks.")
    MONTHS = V("months", description="Months.")
    YEARS = V("years", description="Years.")


@strawberry.enum(description="The biological category of a resistance mechanism.")
class ResistanceCategory(Enum):
    TARGET_ALTERATION = V(
        "target_alteration", description="A change of the target itself (truncation, mutation)."
    )
    BYPASS_SIGNALLING = V("bypass_signalling", description="Signalling through another receptor or pathway.")
    DOWNSTREAM_PATHWAY_ACTIVATION = V(
        "downstream_pathway_activation",
        description="Activation of a pathway below the target (e.g. PI3K).",
    )
    EPITOPE_MASKING = V("epitope_masking", description="The antibody's epitope hidden by other molecules.")
    ADC_PROCESSING = V(
        "adc_processing",
        description="Impaired internalisation, trafficking or lysosomal release of an ADC.",
    )
    PAYLOAD_EFFLUX = V("payload_efflux", description="The payload pumped out of the cell.")
    PAYLOAD_TARGET_ALTERATION = V(
        "payload_target_alteration",
        description="A change of the payload's molecular target (e.g. TOP1).",
    )
    ANTIGEN_LOSS = V("antigen_loss", description="Loss of the target antigen from the tumour.")
    LINEAGE_SWITCH = V(
        "lineage_switch", description="A switch of the tumour to a lineage without the antigen."
    )
    T_CELL_DYSFUNCTION = V(
        "t_cell_dysfunction", description="Exhaustion or poor persistence of therapeutic T cells."
    )
    TUMOUR_MICROENVIRONMENT = V(
        "tumour_microenvironment", description="Suppression by the tumour microenvironment."
    )
    EXPRESSION_HETEROGENEITY = V(
        "expression_heterogeneity", description="Low or heterogeneous target expression."
    )
    OTHER = V("other", description="Any other mechanism.")


@strawberry.enum(description="The kind of a resistance biomarker.")
class BiomarkerMarkerKind(Enum):
    PROTEIN = V("protein", description="A protein or protein form.")
    MUTATION = V("mutation", description="A gene mutation.")
    AMPLIFICATION = V("amplification", description="A gene amplification.")
    EXPRESSION = V("expression", description="An expression level.")
    FUSION = V("fusion", description="A gene fusion.")
    SPLICE_VARIANT = V("splice_variant", description="A splice variant.")
    OTHER = V("other", description="Any other kind.")


@strawberry.enum(description="How a resistance mechanism changes an agent's activity.")
class EffectDirection(Enum):
    DECREASES_SENSITIVITY = V(
        "decreases_sensitivity", description="The mechanism reduces the agent's activity."
    )
    INCREASES_SENSITIVITY = V(
        "increases_sensitivity", description="The mechanism increases the agent's activity."
    )
    NO_EFFECT = V("no_effect", description="The agent keeps its activity despite the mechanism.")


@strawberry.enum(description="The strength of the evidence behind a claim.")
class EvidenceLevel(Enum):
    CLINICAL = V("clinical", description="Clinical data from trials or patient cohorts.")
    PRECLINICAL = V("preclinical", description="Cell-line or animal models.")
    CASE_REPORT = V("case_report", description="Individual patient reports.")


@strawberry.enum(description="Where a safety warning sits on a label.")
class SafetyWarningKind(Enum):
    BOXED_WARNING = V("boxed_warning", description="A boxed warning (the most serious label warning).")
    WARNING = V("warning", description="A warning or precaution in the label body.")
    REMS = V("rems", description="A Risk Evaluation and Mitigation Strategy (FDA).")


@strawberry.enum(description="The adverse event a safety warning is about.")
class SafetyEvent(Enum):
    CYTOKINE_RELEASE_SYNDROME = V("cytokine_release_syndrome", description="Cytokine release syndrome (CRS).")
    NEUROLOGIC_TOXICITY = V("neurologic_toxicity", description="Neurological toxicity, including ICANS.")
    T_CELL_MALIGNANCY = V("t_cell_malignancy", description="T-cell malignancies after cell therapy.")
    SECONDARY_MALIGNANCY = V("secondary_malignancy", description="Other secondary malignancies.")
    PROLONGED_CYTOPENIA = V("prolonged_cytopenia", description="Prolonged cytopenias.")
    HLH_MAS = V(
        "hlh_mas", description="Haemophagocytic lymphohistiocytosis / macrophage activation syndrome."
    )
    INFECTION = V("infection", description="Serious infections.")
    CARDIOMYOPATHY = V("cardiomyopathy", description="Cardiomyopathy or left-ventricular dysfunction.")
    EMBRYO_FETAL_TOXICITY = V("embryo_fetal_toxicity", description="Embryo-fetal toxicity.")
    INTERSTITIAL_LUNG_DISEASE = V(
        "interstitial_lung_disease", description="Interstitial lung disease or pneumonitis."
    )
    HEPATOTOXICITY = V("hepatotoxicity", description="Hepatotoxicity.")
    INFUSION_REACTION = V("infusion_reaction", description="Infusion reactions or pulmonary toxicity.")
    OTHER = V("other", description="Any other event (e.g. a REMS covering several events).")


@strawberry.enum(description="The kind of a source.")
class SourceKind(Enum):
    PUBLICATION = V("publication", description="A peer-reviewed publication.")
    LABEL = V("label", description="A drug label (prescribing information, SmPC).")
    REGISTRY = V("registry", description="A trial-registry record.")
    REGULATOR = V("regulator", description="A regulator's notice or assessment report.")
    CONFERENCE_ABSTRACT = V("conference_abstract", description="A conference abstract or presentation.")
    WEB = V("web", description="Another web page.")
