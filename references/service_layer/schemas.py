"""Request and response bodies. Inputs forbid unknown keys, and their JSON schema says
exactly what the server accepts: every number fits its column (an out-of-range integer
is a 422, never a database error), text holds no NUL, a required field is never null.
"""

from typing import Annotated, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

# PostgreSQL text cannot hold NUL characters: refuse them here (422), not there (500).
NO_NUL = r"^[^\x00]*$"
KeyText = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Text = Annotated[str, Field(max_length=200, pattern=NO_NUL)]


def json_integer(value: object) -> object:
    """What JSON Schema calls an integer: a number without a fraction (2 or 2.0), not a
    string or a bool."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    msg = "expected an integer"
    raise ValueError(msg)


# An INTEGER column (int4) and an id: out-of-range values are a 422, not a 500.
Int4 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1), BeforeValidator(json_integer)]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(json_integer)]
# A finite JSON number (a bool or a string is none).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
T = TypeVar("T")


class Problem(BaseModel):
    """The body of an error response: 400, 404, 405, 409."""

    detail: str


class Page(BaseModel, Generic[T]):
    """One page of a listing, with the total count for the whole listing."""

    items: list[T]
    total: int
    limit: int
    offset: int


class OrderLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Text
    quantity: Int4


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    quantity: int


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: KeyText
    customer: Text
    note: Text
    order_lines: list[OrderLineCreate] = Field(
        default_factory=list,
        max_length=100,
    )


# The fields that may not be null.
REQUIRED = {
    "reference",
    "customer",
    "note",
}


class OrderUpdate(BaseModel):
    """A partial update: only the fields sent change; only optional ones may be null."""

    model_config = ConfigDict(extra="forbid")

    reference: KeyText | SkipJsonSchema[None] = None
    customer: Text | SkipJsonSchema[None] = None
    note: Text | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def no_nulls(self) -> Self:
        """A required field that is sent may not be null (the schema says so too)."""
        nulls = sorted(
            name
            for name in self.model_fields_set
            if name in REQUIRED and getattr(self, name) is None
        )
        if nulls:
            msg = f"these fields cannot be null: {', '.join(nulls)}"
            raise ValueError(msg)
        return self


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    customer: str
    note: str
    order_lines: list[OrderLineRead]
