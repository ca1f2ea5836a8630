"""``bap hook prompt|pre-tool|post-tool [--deny] [--agent AGENT]``: assistant hook adapters.

Reads the hook payload (JSON) on stdin and writes the hook's JSON answer on stdout. The logic is
in ``backend_patterns.hooks``; this module only does the I/O.

Hooks fail open: whatever goes wrong with a payload, a pack or our own code, the hook exits 0
with nothing on stdout and one line on stderr, so it never blocks a prompt or an edit. That
includes taking too long (a pack regex that backtracks, a payload that never ends): after
``$BAP_HOOK_TIMEOUT`` seconds (default 2; 0 turns the deadline off) a ``SIGALRM`` handler writes
one line on stderr and ends the process with ``os._exit(0)``, before anything reaches stdout.
The payload is read up to ``MAX_PAYLOAD`` bytes; a longer one is ignored.
Argument parsing is by hand because argparse costs a noticeable share of a hook's start-up.

The command a hook suggests is spelled as the hook itself was run: ``bap``, or, when it runs as
``<python> -m backend_patterns`` (a ``--local`` install), that same interpreter and module.
"""

from __future__ import annotations

import os
import sys

from ..errors import UsageError, did_you_mean

EVENTS = ("prompt", "pre-tool", "post-tool")
AGENTS = ("claude", "codex", "gemini")  # as hooks.AGENTS; kept here to import nothing more
MAX_PAYLOAD = 4 * 1024 * 1024
TIMEOUT_ENV = "BAP_HOOK_TIMEOUT"
DEFAULT_TIMEOUT = 2.0

USAGE = """usage: bap hook {prompt,pre-tool,post-tool} [--deny] [--agent {claude,codex,gemini}]

Assistant hook adapters: the hook payload (JSON) on stdin, the hook's answer on stdout.

  prompt      UserPromptSubmit (Gemini CLI: BeforeAgent): add the pattern that fits the prompt
  pre-tool    PreToolUse (BeforeTool) on the edit tools: with --deny, refuse an edit that adds
              a BAP001 problem
  post-tool   PostToolUse (AfterTool) on the edit tools: report a BAP001 problem the edit added

The edit tools: Write, Edit, MultiEdit (Claude Code), apply_patch (Codex), write_file and
replace (Gemini CLI).

options:
  --deny          (pre-tool) refuse the edit instead of reporting it afterwards
  --agent AGENT   the assistant that runs the hook (default: read from the payload); its
                  installed pack is used and its answer format spoken
  -h, --help      show this help and exit"""


def run(command: str, argv: list[str], help_: str) -> int:
    if any(a in {"-h", "--help"} for a in argv):
        print(USAGE)
        return 0
    if not argv:
        raise UsageError(
            f"{command} needs an event: {', '.join(EVENTS)}.", hint=f"See 'bap {command} --help'."
        )
    event, options = argv[0], argv[1:]
    if event not in EVENTS:
        guess = did_you_mean(event, EVENTS)
        raise UsageError(
            f"unknown hook event '{event}' (choose from: {', '.join(EVENTS)}).",
            hint=f"Did you mean '{guess}'?" if guess else None,
        )
    deny = False
    agent: str | None = None
    rest = iter(options)
    for option in rest:
        name, _, value = option.partition("=")
        if option == "--deny" and event == "pre-tool":
            deny = True
        elif name == "--agent":
            agent = value if value else next(rest, "")
            if agent not in AGENTS:
                raise UsageError(
                    f"unknown agent '{agent}' for 'bap hook' (choose from: {', '.join(AGENTS)})."
                )
        else:
            raise UsageError(
                f"unknown option '{option}' for 'bap hook {event}'.",
                hint="Only 'pre-tool' takes --deny; every event takes --agent.",
            )
    return serve(event, deny=deny, agent=agent)


def program() -> str:
    """How this process was started, as a command prefix: ``bap``, or ``<python> -m ...``."""
    main = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if main != "__main__.py":
        return "bap"
    import shlex

    return f"{shlex.quote(sys.executable)} -m backend_patterns"


def _timeout() -> float:
    """``$BAP_HOOK_TIMEOUT`` in seconds (``DEFAULT_TIMEOUT`` when unset or not a number)."""
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text.strip() else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value == value and value != float("inf") else DEFAULT_TIMEOUT


def _arm(event: str, seconds: float) -> None:
    """After ``seconds``, say so on stderr and exit 0 at once: nothing reaches stdout."""
    import signal

    if seconds <= 0 or not hasattr(signal, "setitimer"):
        return  # off, or not on this platform (Windows has no SIGALRM)

    def expire(signum: int, frame: object) -> None:
        message = f"bap hook {event}: ignored (no answer within {seconds:g} s, {TIMEOUT_ENV})\n"
        try:
            os.write(2, message.encode())
        finally:
            os._exit(0)

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm() -> None:
    import signal

    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def _read_payload() -> bytes:
    data = sys.stdin.buffer.read(MAX_PAYLOAD + 1)
    if len(data) > MAX_PAYLOAD:
        raise ValueError(f"the payload is over {MAX_PAYLOAD // (1024 * 1024)} MB")
    return data


def serve(event: str, *, deny: bool = False, agent: str | None = None) -> int:
    """Read one payload on stdin, answer on stdout. Always exits 0 (fail open)."""
    import json

    _arm(event, _timeout())
    try:
        payload = json.loads(_read_payload().decode("utf-8"))
        if not isinstance(payload, dict):
            raise ValueError("the payload is not a JSON object")
        from .. import hooks

        if event == "prompt":
            answer = hooks.prompt_hook(payload, agent=agent, program=program())
        else:
            answer = hooks.tool_hook(payload, deny=deny, agent=agent)
    except Exception as exc:  # fail open: never block the user because of our bug
        from ..errors import BapError

        text = exc.describe() if isinstance(exc, BapError) else f"{type(exc).__name__}: {exc}"
        text = " ".join(text.split())[:500]
        _disarm()
        sys.stderr.write(f"bap hook {event}: ignored ({text})\n")
        return 0
    line = json.dumps(answer) + "\n" if answer is not None else ""
    _disarm()  # the answer is whole: from here on, nothing can cut it short
    if line:
        sys.stdout.write(line)
    return 0
