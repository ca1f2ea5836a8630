"""BAP001 on real checkouts: what ``bap check`` finds, how fast, and what it misses.

Run: nice -n 10 .venv/bin/python benchmarks/bench_real_repos.py /tmp/real/fides /tmp/real/lms
     [--out findings.json] [--removal] [--bap .venv/bin/bap] [--warm]

For each folder it runs ``bap check --format json --exit-zero FOLDER`` (with an empty
``XDG_CACHE_HOME``, so the project index is built cold, unless ``--warm``) and prints a
table: repo, ``.py`` files, lines, wall time, peak RSS of the child (``os.wait4``'s
``resource.struct_rusage``; on Linux its ``ru_maxrss`` is the largest of the child and the
workers it waited for) and findings. Every finding goes to the ``--out`` JSON file, to be
read in the source.

``--removal``: for every ``flag_modified(...)`` call that is a statement of its own (found
with ``ast``), the repository's ``.py`` files and project files are copied to a temporary
folder once; in the copy the call's statement is replaced by ``pass`` (line numbers kept), the
file alone is checked with ``bap check FILE`` (so the project model sees the rest of the
copy), and a removal counts as caught when a finding that the unchanged file does not have
appears in the function holding the call. Prints caught/total per repository; the JSON file
lists each removal (file, line, function, statement, new findings). The folders given are
never written to. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Folders ``bap check`` skips too (virtualenvs, VCS, caches, builds).
SKIP_DIRS = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".hg",
        ".mypy_cache",
        ".nox",
        ".pytest_cache",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        "__pycache__",
        "__pypackages__",
        "_build",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "venv",
    }
)
PROJECT_FILES = frozenset({"pyproject.toml", "setup.cfg"})
DEFAULT_BAP = Path(sys.executable).parent / "bap"

Finding = dict[str, Any]


@dataclass
class Run:
    """One ``bap check`` child: its findings, stderr, wall time and peak RSS."""

    findings: list[Finding]
    stderr: str
    seconds: float
    max_rss_mb: float
    returncode: int


@dataclass
class RepoResult:
    repo: str
    path: str
    files: int
    lines: int
    seconds: float
    max_rss_mb: float
    returncode: int
    findings: list[Finding]
    stderr_tail: list[str]


@dataclass
class Removal:
    repo: str
    file: str
    line: int
    function: str
    statement: str
    caught: bool | None  # None: the check failed, nothing to compare
    status: str = ""  # new finding, already reported, missed, check failed
    new_findings: list[Finding] = field(default_factory=list)
    note: str = ""


def python_files(root: Path) -> list[Path]:
    """The ``.py`` files below ``root``, sorted, skipping the folders of SKIP_DIRS."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found.extend(Path(folder) / name for name in files if name.endswith(".py"))
    return sorted(found)


def count_lines(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            total += sum(1 for _ in handle)
    return total


def run_check(bap: str, args: list[str], cache_home: str) -> Run:
    """``bap check --format json --exit-zero ARGS`` in a child; rusage from ``os.wait4``."""
    env = dict(os.environ, XDG_CACHE_HOME=cache_home)
    cmd = [bap, "check", "--format", "json", "--exit-zero", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    try:
        findings = json.loads(stdout) if stdout.strip() else []
    except json.JSONDecodeError:
        findings = []
        stderr += "\n[bench] stdout is not JSON: " + stdout[:500]
    return Run(findings, stderr, seconds, usage.ru_maxrss / 1024, child.returncode)


def measure(bap: str, root: Path, warm: bool) -> RepoResult:
    files = python_files(root)
    lines = count_lines(files)
    with tempfile.TemporaryDirectory(prefix="bap-cache-") as cache:
        if warm:
            run_check(bap, [str(root)], cache)
        run = run_check(bap, [str(root)], cache)
    for finding in run.findings:
        finding["path"] = os.path.relpath(finding["path"], root)
    return RepoResult(
        repo=root.name,
        path=str(root),
        files=len(files),
        lines=lines,
        seconds=round(run.seconds, 2),
        max_rss_mb=round(run.max_rss_mb, 1),
        returncode=run.returncode,
        findings=run.findings,
        stderr_tail=run.stderr.strip().splitlines()[-20:],
    )


# ---- the removal experiment ---------------------------------------------------------------------


def is_flag_modified(node: ast.AST) -> bool:
    if isinstance(node, ast.Await):
        node = node.value
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "flag_modified") or (
        isinstance(func, ast.Attribute) and func.attr == "flag_modified"
    )


@dataclass
class Site:
    """A ``flag_modified(...)`` statement and the function around it (the module if none)."""

    line: int
    end_line: int
    col: int
    function: str
    first: int
    last: int
    statement: str
    attr: str | None  # the attribute flagged, when it is a string literal


def flag_sites(text: str) -> tuple[list[Site], int]:
    """The ``flag_modified`` statements of a module, and how many calls are not statements."""
    tree = ast.parse(text)
    lines = text.splitlines()
    sites: list[Site] = []
    statements: set[int] = set()

    def visit(node: ast.AST, name: str, first: int, last: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                end = child.end_lineno or child.lineno
                visit(child, f"{name}.{child.name}".lstrip("."), child.lineno, end)
                continue
            if isinstance(child, ast.ClassDef):
                visit(child, f"{name}.{child.name}".lstrip("."), first, last)
                continue
            if isinstance(child, ast.Expr) and is_flag_modified(child.value):
                end = child.end_lineno or child.lineno
                call = child.value.value if isinstance(child.value, ast.Await) else child.value
                assert isinstance(call, ast.Call)
                args = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "key")]
                attr = next(
                    (
                        a.value
                        for a in args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    ),
                    None,
                )
                source = " ".join(s.strip() for s in lines[child.lineno - 1 : end])
                sites.append(
                    Site(
                        child.lineno,
                        end,
                        child.col_offset,
                        name or "<module>",
                        first,
                        last,
                        source,
                        attr,
                    )
                )
                statements.add(id(child.value))
            visit(child, name, first, last)

    visit(tree, "", 1, len(lines))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and is_flag_modified(n)]
    awaited = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Await)}
    loose = sum(1 for c in calls if id(c) not in statements and id(c) not in awaited)
    return sites, loose


def without(text: str, site: Site) -> str:
    """``text`` with the statement of ``site`` replaced by ``pass``, line numbers kept."""
    lines = text.splitlines(keepends=True)
    first = lines[site.line - 1]
    lines[site.line - 1] = first[: site.col] + "pass\n"
    for i in range(site.line, site.end_line):
        lines[i] = "\n"
    return "".join(lines)


def copy_project(root: Path, dest: Path) -> None:
    """The ``.py`` and project files of ``root`` into ``dest``; ``.git`` folders as markers."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        target = dest / here.relative_to(root)
        target.mkdir(parents=True, exist_ok=True)
        if ".git" in dirs:
            (target / ".git").mkdir(exist_ok=True)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in files:
            if name.endswith(".py") or name in PROJECT_FILES:
                shutil.copy2(here / name, target / name)


def key(finding: Finding) -> tuple[int, int, str]:
    return (finding["line"], finding["col"], finding["message"])


def removal(bap: str, root: Path) -> tuple[list[Removal], int]:
    """Remove each ``flag_modified`` statement of ``root`` in turn (in a copy), re-check."""
    results: list[Removal] = []
    loose_total = 0
    with (
        tempfile.TemporaryDirectory(prefix="bap-removal-") as tmp,
        tempfile.TemporaryDirectory(prefix="bap-cache-") as cache,
    ):
        copy = Path(tmp) / root.name
        copy_project(root, copy)
        for path in python_files(copy):
            text = path.read_text(encoding="utf-8", errors="replace")
            if "flag_modified" not in text:
                continue
            try:
                sites, loose = flag_sites(text)
            except SyntaxError:
                continue
            loose_total += loose
            if not sites:
                continue
            rel = str(path.relative_to(copy))
            base = run_check(bap, [str(path)], cache)
            before = {key(f) for f in base.findings}
            for site in sites:
                path.write_text(without(text, site), encoding="utf-8")
                run = run_check(bap, [str(path)], cache)
                path.write_text(text, encoding="utf-8")
                new = [
                    f
                    for f in run.findings
                    if key(f) not in before and site.first <= f["line"] <= site.last
                ]
                # With --exit-zero the status is 0 unless the check crashed.
                failed = run.returncode != 0 or base.returncode != 0
                # A change the unchanged file already reports (a flag on one path only) is
                # still reported once the flag is gone: caught, though nothing is new.
                already = [
                    f
                    for f in run.findings
                    if site.first <= f["line"] <= site.last
                    and site.attr is not None
                    and f".{site.attr}`" in f["message"]
                ]
                if failed:
                    status = "check failed"
                elif new:
                    status = "new finding"
                else:
                    status = "already reported" if already else "missed"
                for f in new:
                    f["path"] = rel
                results.append(
                    Removal(
                        repo=root.name,
                        file=rel,
                        line=site.line,
                        function=site.function,
                        statement=site.statement,
                        caught=None if failed else status != "missed",
                        status=status,
                        new_findings=new,
                        note=run.stderr.strip()[-300:] if failed else "",
                    )
                )
    return results, loose_total


def print_table(results: list[RepoResult]) -> None:
    header = f"{'repo':<18} {'files':>6} {'lines':>8} {'time s':>7} {'RSS MB':>7} {'findings':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.repo:<18} {r.files:>6} {r.lines:>8} {r.seconds:>7.2f} {r.max_rss_mb:>7.1f} "
            f"{len(r.findings) if r.returncode == 0 else 'ERR':>8}"
        )
    print("-" * len(header))
    print(
        f"{'total':<18} {sum(r.files for r in results):>6} {sum(r.lines for r in results):>8} "
        f"{sum(r.seconds for r in results):>7.2f} {'':>7} "
        f"{sum(len(r.findings) for r in results):>8}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path, help="checked-out repositories")
    parser.add_argument("--bap", default=str(DEFAULT_BAP), help="the bap executable")
    parser.add_argument("--out", type=Path, default=Path("bap_real_repos.json"))
    parser.add_argument("--removal", action="store_true", help="run the removal experiment")
    parser.add_argument("--warm", action="store_true", help="time a second, warm-index run")
    args = parser.parse_args(argv)

    results: list[RepoResult] = []
    removals: list[Removal] = []
    loose: dict[str, int] = {}
    for repo in args.repos:
        root = repo.resolve()
        if not root.is_dir():
            parser.error(f"not a folder: {repo}")
        result = measure(args.bap, root, args.warm)
        results.append(result)
        print(
            f"[{result.repo}] {len(result.findings)} findings in {result.seconds:.2f} s",
            file=sys.stderr,
        )
        if args.removal:
            done, loose[root.name] = removal(args.bap, root)
            removals.extend(done)

    print_table(results)
    if args.removal:
        print()
        print(f"{'repo':<18} {'caught':>6} {'total':>6} {'failed':>6} {'not stmt':>8}")
        for result in results:
            mine = [r for r in removals if r.repo == result.repo]
            caught = sum(1 for r in mine if r.caught)
            failed = sum(1 for r in mine if r.caught is None)
            for r in mine:
                if r.status == "check failed":
                    print(f"  check failed: {r.file}:{r.line}: {r.note}", file=sys.stderr)
            print(
                f"{result.repo:<18} {caught:>6} {len(mine):>6} {failed:>6} "
                f"{loose.get(result.repo, 0):>8}"
            )
        caught = sum(1 for r in removals if r.caught)
        print(f"{'total':<18} {caught:>6} {len(removals):>6}")

    report = {
        "bap": args.bap,
        "repos": [asdict(r) for r in results],
        "removals": [asdict(r) for r in removals],
        "calls_not_statements": loose,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nfindings and removals written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
