"""Where login codes go. The default writes them to the server log."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("steppe.codes")


class CodeSender(Protocol):
    async def send(self, phone: str, code: str) -> str:
        """Deliver `code`; returns how it was sent (the `type` a client shows)."""
        ...


class LogCodeSender:
    async def send(self, phone: str, code: str) -> str:
        log.warning("login code for %s: %s", phone, code)
        return "log"


class MemoryCodeSender:
    """Keeps the last code per phone; for tests and embedding."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    async def send(self, phone: str, code: str) -> str:
        self.codes[phone] = code
        return "app"
