"""The GraphQL enums, one per vocabulary of db/vocabularies.py: members, their values
(the strings stored in the database) and descriptions all come from there."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar, cast

import strawberry

from db import vocabularies
from db.vocabularies import Vocabulary

E = TypeVar("E", bound=Enum)


def vocabulary_enum(vocabulary: Vocabulary) -> Callable[[type[E]], type[E]]:
    """Replace the (empty) decorated class by the Strawberry enum of `vocabulary`.

    The class statement gives the type checker a name to annotate fields with; the
    members are built here so that each is written once, in the vocabulary.
    """

    def build(declared: type[E]) -> type[E]:
        if declared.__name__ != vocabulary.name:
            raise TypeError(f"enum {declared.__name__} declared for vocabulary {vocabulary.name}")
        members = {
            term.name: strawberry.enum_value(term.value, description=term.description)
            for term in vocabulary.terms
        }
        # mypy wants a literal name for Enum(); this one is checked against the class above.
        enum = Enum(  # type: ignore[misc]
            declared.__name__, members, module=declared.__module__, qualname=declared.__qualname__
        )
        return cast("type[E]", strawberry.enum(enum, description=vocabulary.description))

    return build


@vocabulary_enum(vocabularies.MODALITY)
class Modality(Enum):
    pass


@vocabulary_enum(vocabularies.DEVELOPMENT_STATUS)
class DevelopmentStatus(Enum):
    pass


@vocabulary_enum(vocabularies.PAYLOAD_CLASS)
class PayloadClass(Enum):
    pass


@vocabulary_enum(vocabularies.BIOMARKER_KIND)
class BiomarkerKind(Enum):
    pass


@vocabulary_enum(vocabularies.BIOMARKER_STATUS)
class BiomarkerStatus(Enum):
    pass


@vocabulary_enum(vocabularies.INDICATION_SETTING)
class IndicationSetting(Enum):
    pass


@vocabulary_enum(vocabularies.REGULATOR)
class Regulator(Enum):
    pass


@vocabulary_enum(vocabularies.APPROVAL_TYPE)
class ApprovalType(Enum):
    pass


@vocabulary_enum(vocabularies.PHASE)
class Phase(Enum):
    pass


@vocabulary_enum(vocabularies.TRIAL_STATUS)
class TrialStatus(Enum):
    pass


@vocabulary_enum(vocabularies.BLINDING)
class Blinding(Enum):
    pass


@vocabulary_enum(vocabularies.TRIAL_SETTING)
class TrialSetting(Enum):
    pass


@vocabulary_enum(vocabularies.ARM_ROLE)
class ArmRole(Enum):
    pass


@vocabulary_enum(vocabularies.REGIMEN_ROLE)
class RegimenRole(Enum):
    pass


@vocabulary_enum(vocabularies.ENDPOINT_KIND)
class EndpointKind(Enum):
    pass


@vocabulary_enum(vocabularies.ASSESSMENT)
class Assessment(Enum):
    pass


@vocabulary_enum(vocabularies.ANALYSIS)
class Analysis(Enum):
    pass


@vocabulary_enum(vocabularies.TIME_UNIT)
class TimeUnit(Enum):
    pass


@vocabulary_enum(vocabularies.RESISTANCE_CATEGORY)
class ResistanceCategory(Enum):
    pass


@vocabulary_enum(vocabularies.BIOMARKER_MARKER_KIND)
class BiomarkerMarkerKind(Enum):
    pass


@vocabulary_enum(vocabularies.EFFECT_DIRECTION)
class EffectDirection(Enum):
    pass


@vocabulary_enum(vocabularies.EVIDENCE_LEVEL)
class EvidenceLevel(Enum):
    pass


@vocabulary_enum(vocabularies.SAFETY_WARNING_KIND)
class SafetyWarningKind(Enum):
    pass


@vocabulary_enum(vocabularies.SAFETY_EVENT)
class SafetyEvent(Enum):
    pass


@vocabulary_enum(vocabularies.SOURCE_KIND)
class SourceKind(Enum):
    pass


@vocabulary_enum(vocabularies.SOURCE_TIER)
class SourceTier(Enum):
    pass


@vocabulary_enum(vocabularies.POPULATION_KIND)
class PopulationKind(Enum):
    pass


@vocabulary_enum(vocabularies.DIAGNOSTIC_METHOD)
class DiagnosticMethod(Enum):
    pass
