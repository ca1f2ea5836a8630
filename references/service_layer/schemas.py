"""Request and response bodies: inputs forbid unknown keys, outputs read ORM objects."""

from pydantic import BaseModel, ConfigDict, Field


class OrderLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(max_length=200)
    quantity: int


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    quantity: int


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=200)
    customer: str = Field(max_length=200)
    note: str = Field(max_length=200)
    order_lines: list[OrderLineCreate] = Field(
        default_factory=list,
        max_length=100,
    )


class OrderUpdate(BaseModel):
    """A partial update: fields left out (or null) keep their value."""

    model_config = ConfigDict(extra="forbid")

    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
    )
    customer: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=200)


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    customer: str
    note: str
    order_lines: list[OrderLineRead]
