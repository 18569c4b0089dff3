"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.settings import Settings
from db.queries import QueryRunner
from schema.meta import Loaders


@dataclass
class Context:
    """Per-request state: the SQL runner and the request's DataLoaders."""

    db: QueryRunner
    settings: Settings
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)
    # Set by the operation compiler when every root field of the operation was compiled.
    compiled_plans: Any = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)
