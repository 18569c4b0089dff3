"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from db.queries import QueryRunner
from schema.reference import Loaders


@dataclass
class Context:
    """Per-request state: the statement runner and the reference executor's loaders."""

    db: QueryRunner
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)
