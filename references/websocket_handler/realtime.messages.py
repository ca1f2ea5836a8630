"""The frames clients send and receive, as JSON text."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Inbound: a union discriminated on "type"; anything else is an error frame.
class SendMessage(Frame):
    type: Literal["message"]
    text: Annotated[str, Field(min_length=1)]


class Ping(Frame):
    type: Literal["ping"]


Inbound = Annotated[SendMessage | Ping, Field(discriminator="type")]
INBOUND: TypeAdapter[SendMessage | Ping] = TypeAdapter(Inbound)


# Outbound.
class RoomMessage(Frame):
    type: Literal["message"] = "message"
    room: str
    text: str


class Pong(Frame):
    type: Literal["pong"] = "pong"


class ErrorFrame(Frame):
    type: Literal["error"] = "error"
    detail: str


def describe(exc: ValidationError) -> str:
    """A short, input-free description of why a frame was refused."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)[:300]
