"""``bap mcp``: the pack over the Model Context Protocol, a thin layer over the engine.

Tools (read-only, typed input and structured output): ``suggest_patterns``, ``render_pattern``,
``plan_add`` (what ``bap add`` would do in a project, as a diff), ``list_patterns``,
``check_code``. Resources: ``pattern://{name}`` (a pattern's parameters and
the list of its templates), ``pattern://{name}/{+template}`` (one template's source) and
``skill://SKILL.md``. Prompt: ``apply_pattern``. ``list_patterns`` is a short summary (under
2 KB); the details are in the resources, each under 16 KB (a test module's template under
24 KB), so a client reads only what it needs.

Every request first passes ``_guard.Guard`` (lone surrogates and unknown arguments refused, a
deadline), and every handler body runs on a worker thread (``_errors.reported``).

A user's mistake (an unknown pattern, a bad parameter, an oversized input) is a tool error that
says what is allowed, and so is a bug of ours (see ``_errors``). Nothing is ever written to
disk, and logs go to stderr only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from .. import __version__
from .._console import render_command
from ..errors import UsageError
from ._errors import limit, reported
from ._guard import DEFAULT_TIMEOUT, Guard
from ._models import (
    CheckResult,
    FileOut,
    FindingOut,
    PatternList,
    PatternOut,
    PlanResult,
    ReasonOut,
    RenderResult,
    SuggestionOut,
    SuggestResult,
)

if TYPE_CHECKING:
    from ..pack import Pack, PatternSpec
    from ..project import Project

NAME = "backend-api-patterns"
KB = 1024
TASK_MAX = 100 * KB
CODE_MAX = 1024 * KB
PATH_MAX = 4 * KB
PARAMS_MAX = 64
PARAM_VALUE_MAX = 10 * KB
TOP_MAX = 20

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

INSTRUCTIONS = (
    "Patterns for FastAPI + async SQLAlchemy 2.x + PostgreSQL + WebSocket backends. "
    "Call suggest_patterns with the task (and the code or file path you are working on) to "
    "find the pattern that fits, render_pattern to get its code with the inferred parameters, "
    "and check_code to find JSON/JSONB attributes changed in place and never saved (BAP001)."
)


def _project_of(path: str | None) -> Project | None:
    """The project model around ``path`` when it is an existing file inside a project."""
    import os

    from ..project import Project, find_root

    if not path or not os.path.isfile(path) or find_root(path) is None:
        return None
    try:
        return Project.load(path)
    except (OSError, ValueError, RecursionError):
        return None  # the check goes on without the project


def _pattern_out(spec: PatternSpec) -> PatternOut:
    return PatternOut(
        name=spec.name,
        description=spec.description,
        usage=spec.usage,
        resource=f"pattern://{spec.name}",
        params=[p.name for p in spec.params],
    )


def template_uri(spec: PatternSpec, template: str) -> str:
    return f"pattern://{spec.name}/{template}"


def pattern_document(spec: PatternSpec) -> str:
    """A pattern as Markdown: what it is, its parameters, and the resource of each template."""
    lines = [f"# {spec.name}", ""]
    lines += [text for text in (spec.description, spec.usage, spec.summary) if text]
    lines += ["", "## Parameters", ""]
    for p in spec.params:
        extra = [p.kind]
        if p.required:
            extra.append("required")
        if p.default is not None:
            extra.append(f"default {p.default!r}")
        if p.choices:
            extra.append("one of " + ", ".join(p.choices))
        lines.append(f"- `{p.name}` ({'; '.join(extra)}): {p.help}")
    if not spec.params:
        lines.append("(none)")
    lines += ["", "## Templates", ""]
    for f in spec.files:
        what = "test module" if f.tests else "file"
        uri = template_uri(spec, f.template)
        lines.append(f"- `{f.template}` renders the {what} `{f.path}`: {uri}")
    return "\n".join(lines) + "\n"


def template_source(spec: PatternSpec, template: str) -> str:
    """The Jinja2 source of one of ``spec``'s templates (only the ones it declares)."""
    known = [f.template for f in spec.files]
    if template not in known:
        raise UsageError(
            f"pattern '{spec.name}' has no template '{template[:200]}' "
            f"(its templates: {', '.join(known)})."
        )
    return (spec.directory / template).read_text(encoding="utf-8")


def build_server(pack: Pack, *, tool_timeout: float = DEFAULT_TIMEOUT) -> MCPServer[Any]:
    """An MCP server over ``pack``. Every handler calls the engine's plain functions.

    ``tool_timeout`` (seconds) is the deadline of each tool call, resource read and prompt.
    """
    guard = Guard(tool_timeout)
    server: MCPServer[Any] = MCPServer(
        NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
        middleware=[guard],
    )
    guard.server = server

    @server.tool(annotations=READ_ONLY, title="Suggest patterns")
    @reported("tool")
    async def suggest_patterns(
        task: Annotated[str, Field(description=f"what you are building (≤ {TASK_MAX // KB} KB)")],
        code: Annotated[
            str | None, Field(description=f"code you are working on (≤ {CODE_MAX // KB} KB)")
        ] = None,
        path: Annotated[str | None, Field(description="the file you are working on")] = None,
        top: Annotated[int, Field(ge=1, le=TOP_MAX, description="how many to return")] = 3,
    ) -> SuggestResult:
        """Rank the patterns that fit a task, with the reasons and the inferred parameters."""
        from ..match import suggest

        limit("task", task, TASK_MAX)
        limit("code", code, CODE_MAX)
        limit("path", path, PATH_MAX)
        found = suggest(task, code=code, path=path, top=top, pack=pack)
        return SuggestResult(
            suggestions=[
                SuggestionOut(
                    pattern=s.pattern,
                    score=round(s.score, 3),
                    description=s.description,
                    why=s.why,
                    reasons=[ReasonOut(**r.to_json()) for r in s.reasons],
                    params=dict(s.params),
                    command=render_command(s.pattern, s.params),
                )
                for s in found
            ]
        )

    @server.tool(annotations=READ_ONLY, title="Render a pattern")
    @reported("tool")
    async def render_pattern(
        pattern: Annotated[str, Field(description="the pattern name, see list_patterns")],
        params: Annotated[
            dict[str, str | int | bool] | None,
            Field(description="render parameters by name, see list_patterns"),
        ] = None,
        with_tests: Annotated[bool, Field(description="also render a pytest module")] = False,
    ) -> RenderResult:
        """Render a pattern into files, returned as {path, content} pairs. Writes nothing."""
        from ..render import render

        given = dict(params or {})
        if len(given) > PARAMS_MAX:
            raise UsageError(f"too many parameters: {len(given)} (the limit is {PARAMS_MAX}).")
        for key, value in given.items():
            limit(f"params.{key}", str(value), PARAM_VALUE_MAX)
        files = render(pattern, given, with_tests=with_tests, pack=pack)
        return RenderResult(
            pattern=pattern, files=[FileOut(path=f.path, content=f.content) for f in files]
        )

    @server.tool(annotations=READ_ONLY, title="Plan adding a pattern to a project")
    @reported("tool")
    async def plan_add(
        pattern: Annotated[str, Field(description="the pattern name, see list_patterns")],
        project: Annotated[str, Field(description="a folder or file of the project (on disk)")],
        params: Annotated[
            dict[str, str | int | bool] | None,
            Field(description="render parameters by name, see list_patterns"),
        ] = None,
        with_tests: Annotated[bool, Field(description="also add the pattern's tests")] = True,
    ) -> PlanResult:
        """What `bap add` would do in a project set up by `bap init`: the files it would
        create and the edits (router wiring), as a unified diff. Writes nothing."""
        from .. import scaffold

        limit("project", project, PATH_MAX)
        given = dict(params or {})
        if len(given) > PARAMS_MAX:
            raise UsageError(f"too many parameters: {len(given)} (the limit is {PARAMS_MAX}).")
        for key, value in given.items():
            limit(f"params.{key}", str(value), PARAM_VALUE_MAX)
        plan = scaffold.plan_add(project, pattern, given, pack=pack, with_tests=with_tests)
        out = plan.as_json()
        return PlanResult(
            pattern=pattern,
            root=out["root"],
            files=[f["path"] for f in out["files"]],
            edits=out["edits"],
            manual=out["manual"],
            notes=out["notes"],
            diff=out["diff"],
        )

    @server.tool(annotations=READ_ONLY, title="List patterns")
    @reported("tool")
    async def list_patterns() -> PatternList:
        """Every pattern: what it is for, its parameter names, its resource (for the details)."""
        return PatternList(patterns=[_pattern_out(p) for p in pack.patterns.values()])

    @server.tool(annotations=READ_ONLY, title="Check code (lint rules)")
    @reported("tool")
    async def check_code(
        code: Annotated[str, Field(description=f"Python source (≤ {CODE_MAX // KB} KB)")],
        path: Annotated[str | None, Field(description="its file name, for the findings")] = None,
    ) -> CheckResult:
        """Run the lint rules: e.g. JSON/JSONB attributes changed in place and never flagged.
        When ``path`` is a file of a project on disk, the project's models are known."""
        from .. import lint

        limit("code", code, CODE_MAX)
        limit("path", path, PATH_MAX)
        import ast

        try:
            ast.parse(code)  # lint reports nothing for a text that does not parse: say so here
        except SyntaxError as exc:
            raise ToolError(f"the code does not parse: {exc.msg} (line {exc.lineno}).") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ToolError(f"the code cannot be parsed: {type(exc).__name__}.") from None
        findings = lint.check_code(code, path=path, project=_project_of(path))
        return CheckResult(findings=[FindingOut(**f.to_json()) for f in findings])

    @server.resource(
        "pattern://{name}",
        name="pattern",
        title="Pattern",
        description="A pattern: its parameters and the resources of its Jinja2 templates",
        mime_type="text/markdown",
    )
    @reported("resource")
    async def pattern_resource(name: str) -> str:
        return pattern_document(pack.pattern(name))

    @server.resource(
        "pattern://{name}/{+template}",
        name="pattern template",
        title="Pattern template",
        description="One Jinja2 template of a pattern, as listed in pattern://{name}",
        mime_type="text/x-jinja2",
    )
    @reported("resource")
    async def pattern_template(name: str, template: str) -> str:
        return template_source(pack.pattern(name), template)

    @server.resource(
        "skill://SKILL.md",
        name="SKILL.md",
        title="The skill",
        description="SKILL.md: when and how to use the patterns",
        mime_type="text/markdown",
    )
    @reported("resource")
    async def skill() -> str:
        return pack.skill_path.read_text(encoding="utf-8")

    @server.prompt(title="Apply a pattern")
    @reported("prompt")
    async def apply_pattern(
        pattern: Annotated[str, Field(description="the pattern name, see list_patterns")],
        task: Annotated[str, Field(description="what you are building")],
    ) -> str:
        """Build a task on one of the patterns: its parameters, inferred values and steps."""
        spec = pack.pattern(pattern)
        limit("task", task, TASK_MAX)
        return apply_prompt(spec, task, pack)

    return server


def apply_prompt(spec: PatternSpec, task: str, pack: Pack) -> str:
    """The text of the ``apply_pattern`` prompt."""
    from ..match import suggest

    inferred: dict[str, str] = {}
    for s in suggest(task, top=len(pack.patterns), pack=pack):
        if s.pattern == spec.name:
            inferred = dict(s.params)
    params = "\n".join(
        f"- {p.name} ({p.kind}{', required' if p.required else ''}): {p.help}"
        + (f" Inferred: {inferred[p.name]!r}." if p.name in inferred else "")
        for p in spec.params
    )
    return (
        f"Task: {task}\n\n"
        f"Build it on the backend-api-patterns pattern '{spec.name}'"
        + (f": {spec.description}." if spec.description else ".")
        + (f"\n{spec.summary}" if spec.summary else "")
        + f"\n\nParameters:\n{params or '(none)'}\n\n"
        f"1. Read the resource pattern://{spec.name} for the templates.\n"
        f"2. Call render_pattern with pattern='{spec.name}' and the parameters that fit the task"
        + (f" (inferred so far: {inferred})" if inferred else "")
        + ".\n"
        "3. Fit the rendered files into the project, keeping the pattern's structure.\n"
        "4. Run check_code on every model or service you change."
    )


def serve(
    pack: Pack,
    *,
    http: tuple[str, int] | None = None,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
    tool_timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Serve ``pack`` over stdio (the default) or streamable HTTP on ``(host, port)``.

    Over HTTP, ``token`` (when given) is the bearer token every request must carry, and the
    ``Host`` / ``Origin`` headers must name the bound address, ``localhost`` or one of
    ``allowed_hosts`` (see ``_transport``).
    """
    from . import _transport

    server = build_server(pack, tool_timeout=tool_timeout)
    if http is None:
        _transport.run_stdio(server)
    else:
        _transport.run_http(server, http[0], http[1], token=token, extra_hosts=allowed_hosts)
