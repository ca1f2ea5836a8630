"""Settings read from the environment.

The shared secret has no default: without WS_TOKEN the app refuses to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

MIN_TOKEN_LENGTH = 16


class SettingsError(RuntimeError):
    """A setting that is missing or unsafe."""


@dataclass(frozen=True, slots=True)
class Settings:
    token: str = field(repr=False)
    max_message_bytes: int = 65536
    send_timeout: float = 5.0

    def __post_init__(self) -> None:
        if len(self.token) < MIN_TOKEN_LENGTH:
            minimum = f"at least {MIN_TOKEN_LENGTH} characters"
            raise SettingsError(f"WS_TOKEN must be a secret of {minimum}.")
        if self.max_message_bytes < 1:
            raise SettingsError("WS_MAX_MESSAGE_BYTES must be a positive number.")
        if not self.send_timeout > 0:
            raise SettingsError("WS_SEND_TIMEOUT must be a positive number.")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    try:
        max_bytes = int(env.get("WS_MAX_MESSAGE_BYTES", "65536"))
        send_timeout = float(env.get("WS_SEND_TIMEOUT", "5"))
    except ValueError as exc:
        raise SettingsError(f"bad number in the environment: {exc}") from None
    return Settings(
        token=env.get("WS_TOKEN", ""),
        max_message_bytes=max_bytes,
        send_timeout=send_timeout,
    )
