"""Ranking the patterns of a pack for a task, a code context and a file path.

``suggest`` is the whole engine as the front ends see it: plain data in, plain data out,
deterministic, and an empty list when nothing fits well enough. ``explain`` shows its working;
``infer`` fills in render parameters; ``evaluate`` scores a pack on labelled cases.
"""

from __future__ import annotations

from ._suggest import Explanation, Reason, Suggestion, compiled, explain, suggest

__all__ = ["Explanation", "Reason", "Suggestion", "compiled", "explain", "suggest"]
