"""The linter behind ``bap check``: a registry of rules (``registry``; the bundled ones are in
``rules/``) and the engine that runs them.

``check_code`` checks one text (pure, no I/O: the hooks and the MCP server call it);
``check_tree`` checks files and folders as ``bap check`` does, so a rule can resolve what one
file declares and another uses (BAP001: the JSON columns of models, by attribute name).
``config`` reads ``[tool.bap.lint]``; ``report`` formats findings. Stdlib only.
"""

from __future__ import annotations

from . import registry
from . import rules as _bundled  # registers the bundled rules
from ._engine import check_code, check_sources, check_tree, parse_json_attrs
from ._files import SKIP_DIRS, Exclude, iter_python_files, read_source, read_sources
from ._findings import FileWarning, Finding, sort_warnings
from .registry import Rule, Settings, SourceFile, Violation

del _bundled

__all__ = [
    "SKIP_DIRS",
    "Exclude",
    "FileWarning",
    "Finding",
    "Rule",
    "Settings",
    "SourceFile",
    "Violation",
    "check_code",
    "check_sources",
    "check_tree",
    "iter_python_files",
    "parse_json_attrs",
    "read_source",
    "read_sources",
    "registry",
    "sort_warnings",
]
