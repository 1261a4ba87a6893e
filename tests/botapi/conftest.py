"""Fixtures for running real bots against a live server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botkit import Person


@pytest.fixture
async def people(server: Any) -> AsyncIterator[Any]:
    made: list[Person] = []

    async def make(name: str = "Alice") -> Person:
        signed = await server.user(name)
        person = Person(server, signed, await server.device(signed["token"]))
        made.append(person)
        return person

    yield make
    for p in made:
        await p.close()


