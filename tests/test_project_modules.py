"""Module names as files are imported: a package below an import root that is not the
project root (a monorepo's ``apps/api/src/``) is named from its top package, and a package's
``__init__.py`` re-exporting a model (``from .item import Item``) is followed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from backend_patterns.project import module_name

MODEL = """from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    meta: Mapped[dict] = mapped_column(JSON)
"""

CRUD = """from typing import Optional

from sqlalchemy.orm import Session

from shop import models


def get_item(db: Session, item_id: int) -> Optional[models.Item]:
    return db.get(models.Item, item_id)
"""

ROUTE = """from sqlalchemy.orm import Session

from shop import crud


def tag(db: Session, item_id: int) -> None:
    item = crud.get_item(db, item_id)
    item.meta["tags"].append("new")
    db.commit()
"""


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'mono'\n")
    pkg = root / "apps" / "api" / "src" / "shop"
    (pkg / "models").mkdir(parents=True)
    (pkg / "crud").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "__init__.py").write_text("from .item import Item\n\n__all__ = ['Item']\n")
    (pkg / "models" / "item.py").write_text(MODEL)
    (pkg / "crud" / "__init__.py").write_text(CRUD)
    (pkg / "routes.py").write_text(ROUTE)
    return pkg


def test_a_package_below_an_import_root_is_named_from_its_top_package(tmp_path: Path) -> None:
    pkg = _project(tmp_path)
    assert module_name(str(pkg / "crud" / "__init__.py"), tmp_path) == "shop.crud"
    assert module_name(str(pkg / "models" / "item.py"), tmp_path) == "shop.models.item"
    (tmp_path / "tests").mkdir()
    assert module_name(str(tmp_path / "tests" / "test_x.py"), tmp_path) == "tests.test_x"
    assert module_name(str(tmp_path / "main.py"), tmp_path) == "main"


def test_a_getter_returning_a_re_exported_model_is_evidence(tmp_path: Path) -> None:
    pkg = _project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "backend_patterns", "check", str(pkg / "routes.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "routes.py:8:5: BAP001" in done.stdout
    assert 'flag_modified(item, "meta")' in done.stdout
