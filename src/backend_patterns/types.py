"""Type aliases shared across the package."""

from __future__ import annotations

from typing import Any, TypeAlias

JSON: TypeAlias = dict[str, Any]
Params: TypeAlias = dict[str, str]
