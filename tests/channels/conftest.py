from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from channels.helpers import Cast


@pytest.fixture
async def cast(server: Any) -> AsyncIterator[Cast]:
    c = Cast(server)
    yield c
    await c.close()


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(start_server, stop_server) of the root conftest, to restart a server on its data."""
    root = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in request.config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "").resolve() == root:
            return plugin.start_server, plugin.stop_server
    raise LookupError("the root conftest is not loaded")
