"""One registry of client methods, served alike over HTTP and the WebSocket.

A method is a name, a msgspec struct for its parameters (which is also its schema) and a handler.
Decoding the parameters is the validation: a missing, extra or mistyped field is refused before
the handler runs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from steppe.domain.errors import RpcError, bad_request


@dataclass
class Call:
    """Who is calling and from where; `user_id` is 0 before sign-in."""

    user_id: int = 0
    auth_id: int = 0
    ip: str = ""
    device: str = ""
    app: str = ""
    connection: Any = None


Handler = Callable[[Call, Any], Awaitable[Any]]


@dataclass
class Method:
    name: str
    params: type[msgspec.Struct]
    handler: Handler
    auth: bool
    doc: str
    decoder: msgspec.json.Decoder[Any] = field(init=False)

    def __post_init__(self) -> None:
        self.decoder = msgspec.json.Decoder(self.params)

    def decode(self, body: bytes) -> Any:
        try:
            value = self.decoder.decode(body or b"{}")
            # An integer past 64 bits has 19 digits or more somewhere in the body.
            return _check_ints(value) if _LONG_NUMBER.search(body) else value
        except msgspec.ValidationError as exc:
            raise bad_request("INPUT_INVALID", str(exc)) from exc
        except (msgspec.DecodeError, RecursionError) as exc:  # deep nesting is refused too
            raise bad_request("JSON_INVALID", str(exc)) from exc

    def convert(self, params: Any) -> Any:
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise bad_request("INPUT_INVALID", "params must be an object")
        try:
            return _check_ints(msgspec.convert(params, self.params))
        except msgspec.ValidationError as exc:
            raise bad_request("INPUT_INVALID", str(exc)) from exc


_LONG_NUMBER = re.compile(rb"\d{19}")


def _check_ints(value: Any) -> Any:
    """Every integer a method takes fits 64 bits (ids, dates, counters); JSON allows any size,
    so a larger one is refused here rather than failing deep in the store."""
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise bad_request("INPUT_INVALID", "integer out of the 64-bit range")
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _check_ints(getattr(value, name))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_ints(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_ints(key)
            _check_ints(item)
    return value


class Registry:
    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}

    def method(self, name: str, params: type[msgspec.Struct], *, auth: bool = True
               ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if name in self.methods:
                raise ValueError(f"method {name} registered twice")
            doc = (handler.__doc__ or "").strip()
            self.methods[name] = Method(name, params, handler, auth, doc)
            return handler

        return register

    def get(self, name: str) -> Method:
        method = self.methods.get(name)
        if method is None:
            raise RpcError(404, "METHOD_INVALID", f"no method {name[:64]!r}")
        return method


class Empty(msgspec.Struct, forbid_unknown_fields=True):
    pass
