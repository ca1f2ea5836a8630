"""Request and response bodies for items.

The JSON schema of each input says exactly what the server accepts: what it refuses
(NUL characters, numbers the column cannot hold, nulls in required fields) it does not
advertise.
"""

from typing import Annotated, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

# PostgreSQL text cannot hold NUL characters: refuse them here (422), not there (500).
NO_NUL = r"^[^\x00]*$"
ShortText = Annotated[str, Field(min_length=1, max_length=255, pattern=NO_NUL)]
LongText = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]


def json_integer(value: object) -> object:
    """What JSON Schema calls an integer: a number without a fraction (2 or 2.0), not a
    string or a bool."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    msg = "expected an integer"
    raise ValueError(msg)


# A BIGINT column, within what a JSON number holds exactly (2**53: JavaScript's limit).
BigInt = Annotated[
    int, Field(ge=-(2**53 - 1), le=2**53 - 1), BeforeValidator(json_integer)
]
T = TypeVar("T")


class Problem(BaseModel):
    """The body of an error response: 400, 404, 405, 409."""

    detail: str


class ItemCreate(BaseModel):
    """Body of POST and PUT: every field (optional ones may be left out)."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    description: LongText
    quantity: BigInt


# The fields that may not be null.
REQUIRED = {
    "name",
    "description",
    "quantity",
}


class ItemUpdate(BaseModel):
    """Body of PATCH: any subset of the fields; only optional ones may be null."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | SkipJsonSchema[None] = None
    description: LongText | SkipJsonSchema[None] = None
    quantity: BigInt | SkipJsonSchema[None] = None

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


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    quantity: int


class Page(BaseModel, Generic[T]):
    """One page of a listing, with the total count for the whole listing."""

    items: list[T]
    total: int
    limit: int
    offset: int
