"""Evidence from elsewhere in the project (issue 9): a function's return annotation
(``-> Optional[models.Trace]``), a ``TypedDict`` key annotated with a model, and a class named
through an imported module (``models.TestResult`` where ``schemas.TestResult`` also exists).
The summaries keep plain data, and the merged view survives the on-disk index."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from backend_patterns.lint import check_tree
from backend_patterns.project import Project

FILES = {
    "app/__init__.py": "",
    "app/models.py": """
        from typing import Any
        from sqlalchemy.dialects.postgresql import JSONB
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class TestResult(Base):
            __tablename__ = "results"
            id: Mapped[int] = mapped_column(primary_key=True)
            metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """,
    "app/schemas.py": """
        from pydantic import BaseModel

        class TestResult(BaseModel):
            metrics: dict = {}
    """,
    "app/crud.py": """
        from typing import Optional, TypedDict
        from app import models, schemas

        class Checked(TypedDict):
            result: models.TestResult
            owner: int

        def get_result(db, id) -> Optional[models.TestResult]:
            return db.get(models.TestResult, id)

        async def all_results(db) -> list["models.TestResult"]:
            return []

        def checked(db, id) -> Checked:
            return {"result": db.get(models.TestResult, id), "owner": 0}

        def get_schema(id) -> schemas.TestResult | None:
            return None

        def count(db) -> int:
            return 0
    """,
    "app/service.py": """
        from app import crud, models, schemas
        from app.crud import get_result

        def qualified(db, result: models.TestResult) -> None:
            result.metrics["m"]["ok"] = True  # lost
            db.commit()

        def qualified_schema(db, result: schemas.TestResult) -> None:
            result.metrics["m"] = True  # a pydantic model
            db.commit()

        def from_getter(db, id: int) -> None:
            result = crud.get_result(db, id)
            if result is None:
                return
            result.metrics["reviews"].append(1)  # lost
            db.commit()

        def from_imported_getter(db, id: int) -> None:
            result = get_result(db, id)
            result.metrics["k"] = 1  # lost
            db.commit()

        async def from_a_loop(db) -> None:
            for result in await crud.all_results(db):
                result.metrics["k"] = 1  # lost
            await db.commit()

        def from_a_typed_dict(db, id: int) -> None:
            out = crud.checked(db, id)
            result = out["result"]
            result.metrics["k"] = 1  # lost
            db.commit()

        def from_a_schema_getter(db, id: int) -> None:
            result = crud.get_schema(id)
            result.metrics["k"] = 1  # a pydantic model
            db.commit()
    """,
}


def make(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def test_return_annotations_resolve_to_models_and_typed_dicts() -> None:
    sources = [(rel, ast.parse(textwrap.dedent(text))) for rel, text in FILES.items()]
    merged = Project.from_sources(sources).merged
    assert merged.returns == {
        "app.crud.get_result": ("app.models.TestResult", False),
        "app.crud.all_results": ("app.models.TestResult", True),
        "app.crud.checked": ("app.crud.Checked", False),
    }
    assert merged.typed == {"app.crud.Checked": {"result": "app.models.TestResult"}}


def test_the_merged_view_keeps_them_through_the_index(tmp_path: Path) -> None:
    root = make(tmp_path / "p")
    cold = Project.load(root)
    warm = Project.load(root)
    assert warm.merged.returns == cold.merged.returns != {}
    assert warm.merged.typed == cold.merged.typed != {}


def test_findings_need_the_model_named_elsewhere(tmp_path: Path) -> None:
    root = make(tmp_path / "p")
    findings, warnings = check_tree([str(root)])
    assert warnings == []
    lines = (root / "app" / "service.py").read_text().splitlines()
    lost = {n for n, line in enumerate(lines, start=1) if line.endswith("# lost")}
    assert {f.line for f in findings} == lost
    assert len(lost) == 5


def test_a_package_import_names_the_model_too(tmp_path: Path) -> None:
    root = make(tmp_path / "p")
    (root / "app" / "jobs.py").write_text(
        "import app.models\n\n\n"
        "def run(db, result: app.models.TestResult) -> None:\n"
        '    result.metrics["k"]["x"] = 1\n'
        "    db.commit()\n"
    )
    findings, _ = check_tree([str(root / "app" / "jobs.py")])
    assert [(Path(f.path).name, f.line) for f in findings] == [("jobs.py", 5)]
