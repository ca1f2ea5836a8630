"""Request and response bodies for items."""

from typing import Annotated, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

# PostgreSQL text cannot hold NUL characters: refuse them here (422), not there (500).
NO_NUL = r"^[^\x00]*$"
ShortText = Annotated[str, Field(min_length=1, max_length=255, pattern=NO_NUL)]
LongText = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]
BigInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
T = TypeVar("T")


class ItemCreate(BaseModel):
    """Body of POST and PUT: every field, and nothing else."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    description: LongText
    quantity: BigInt


class ItemUpdate(BaseModel):
    """Body of PATCH: any subset of the fields; a field that is sent may not be null."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    description: LongText | None = None
    quantity: BigInt | None = None

    @model_validator(mode="after")
    def no_nulls(self) -> Self:
        nulls = sorted(n for n in self.model_fields_set if getattr(self, n) is None)
        if nulls:
            raise ValueError(f"these fields cannot be null: {', '.join(nulls)}")
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
