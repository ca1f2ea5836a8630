"""The typed results of the MCP tools: each becomes a tool's ``outputSchema``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReasonOut(BaseModel):
    kind: str = Field(description="keyword | intent | path | code | finding | negative")
    rule: str = Field(description="the rule id in triggers.yaml (BAP001 for a checker finding)")
    matched: str = Field(description="the text that fired the rule")
    weight: float


class SuggestionOut(BaseModel):
    pattern: str
    score: float = Field(description="0..1, higher fits better")
    description: str
    why: str = Field(description="the strongest reasons, on one line")
    reasons: list[ReasonOut]
    params: dict[str, str] = Field(description="render parameters inferred from the task")
    command: str = Field(description="the 'bap render' command with the inferred parameters")


class SuggestResult(BaseModel):
    suggestions: list[SuggestionOut] = Field(description="best first; empty when nothing fits")


class FileOut(BaseModel):
    path: str = Field(description="POSIX path relative to the output folder")
    content: str


class RenderResult(BaseModel):
    pattern: str
    files: list[FileOut]


class PlanResult(BaseModel):
    pattern: str
    root: str = Field(description="the project root the plan is for")
    files: list[str] = Field(description="files bap add would create")
    edits: list[str] = Field(description="files bap add would edit (the router wiring)")
    manual: list[str] = Field(description="lines to add by hand, with the reason")
    notes: list[str]
    diff: str = Field(description="the unified diff of every change")


class PatternOut(BaseModel):
    name: str
    description: str
    usage: str
    resource: str = Field(
        description="the pattern:// resource: parameters in full and its templates' resources"
    )
    params: list[str] = Field(description="the parameter names (details in the resource)")


class PatternList(BaseModel):
    patterns: list[PatternOut]


class FindingOut(BaseModel):
    path: str
    line: int
    col: int
    code: str
    rule: str
    message: str
    fix: str
    fix_edit: list[int | str] | None = Field(
        default=None,
        description="[line after which to insert, indentation, statement] (absent: no safe fix)",
    )


class CheckResult(BaseModel):
    findings: list[FindingOut] = Field(description="empty when the code is clean")
