"""Re-export of config.settings while schema/ moves to importing config directly.

Remove once nothing imports api.settings.
"""

from __future__ import annotations

from config.settings import PROJECT_ROOT, Settings

__all__ = ["PROJECT_ROOT", "Settings"]
