"""Parameter inference: the resource a task names, two-word names, CRUD-word and verb lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_patterns.match import suggest
from backend_patterns.match.infer import infer_params
from backend_patterns.pack import load_pack

PACK = load_pack(Path(__file__).resolve().parents[1])


def _resource(task: str) -> str | None:
    spec = PACK.patterns["crud_endpoint"]
    return infer_params(spec, task, settings=PACK.triggers["inference"]).get("resource")


@pytest.mark.parametrize(
    ("task", "resource"),
    [
        ("CRUD endpoints for blog posts", "BlogPost"),
        ("CRUD endpoints for customer addresses", "CustomerAddress"),
        ("add products CRUD", "Product"),
        ("REST endpoints to create, list, update and delete products", "Product"),
        ("endpoints to create and delete blog posts", "BlogPost"),
        ("CRUD endpoints for invoices", "Invoice"),
        ("service layer for order refunds", "OrderRefund"),
    ],
)
def test_resource_is_inferred(task: str, resource: str) -> None:
    assert _resource(task) == resource


@pytest.mark.parametrize(
    ("task", "resource"),
    [
        ("CRUD endpoints for the API", None),  # "API" names no resource
        ("build the usual CRUD for the API", None),
        ("add full CRUD", None),  # "full" is no plural noun before CRUD
        ("basic CRUD endpoints", None),
        ("CRUD endpoints for invoices with pagination", "Invoice"),  # "with" is no noun
        ("service layer for orders and payments", "Order"),  # two resources: the first
        ("CRUD endpoints for products for the admin panel", "Product"),
        ("CRUD endpoints for blog endpoints", "Blog"),  # "endpoints" names no resource
        ("CRUD for users in the admin", "User"),  # a plural first word starts no compound
        ("create, list and delete for the API", None),
    ],
)
def test_near_misses(task: str, resource: str | None) -> None:
    assert _resource(task) == resource


def test_suggest_carries_the_two_word_resource() -> None:
    found = suggest("CRUD endpoints for blog posts", pack=PACK)
    assert found[0].pattern == "crud_endpoint"
    assert found[0].params["resource"] == "BlogPost"
