"""The ``bap-check`` pre-commit hook, run by the real ``pre-commit try-repo``.

pre-commit builds the hook's environment from this checkout (committed files plus uncommitted
changes to them) and installs the package with pip, so this needs PyPI for the dependencies;
a first install takes about 15 s. The same PRE_COMMIT_HOME serves both runs.

Network: this test reaches PyPI on every run, as PRE_COMMIT_HOME is new each time (pip asks the
index; with pip's cache cold, a new machine, it downloads the dependencies too). ``.ci/run``
keeps pip's cache warm through the install in ``scripts/test``, which needs the same packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")
IDENTITY = {  # survives pre-commit's scrubbing of GIT_* variables; needed for its commits
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "user.name",
    "GIT_CONFIG_VALUE_0": "bap tests",
    "GIT_CONFIG_KEY_1": "user.email",
    "GIT_CONFIG_VALUE_1": "bap-tests@example.invalid",
}
MODELS = """\
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column


class Agent(Base):
    agent_metadata: Mapped[dict] = mapped_column(JSONB)
"""
BAD = (
    'async def f(session, agent: "Agent"):\n'
    '    agent.agent_metadata["k"] = 1\n    await session.commit()\n'
)
GOOD = BAD.replace("    await", '    flag_modified(agent, "agent_metadata")\n    await')


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def test_hook_fails_on_a_finding_and_passes_on_clean_code(tmp_path: Path) -> None:
    assert (ROOT / ".pre-commit-hooks.yaml").is_file()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV"} and not k.startswith("GIT_")
    }
    env.update(IDENTITY, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "models.py").write_text(MODELS)
    (repo / "service.py").write_text(BAD)
    (repo / "README.txt").write_text('agent.agent_metadata["k"] = 1 is not Python here\n')
    assert run(["git", "init", "-q"], repo, env).returncode == 0
    assert run(["git", "add", "."], repo, env).returncode == 0
    try_repo = [PRE_COMMIT, "try-repo", str(ROOT), "bap-check", "--all-files"]

    failed = run(try_repo, repo, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "service.py:2:5: BAP001 jsonb-in-place-mutation:" in failed.stdout
    assert "Found 1 error." in failed.stdout
    assert "README.txt" not in failed.stdout

    (repo / "service.py").write_text(GOOD)
    assert run(["git", "add", "."], repo, env).returncode == 0
    passed = run(try_repo, repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
