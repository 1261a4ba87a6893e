"""Errors with a stable code and an upper-case type, as Telegram has them.

An error never carries an HTTP status of its own: the transports map `code` to a status, a
WebSocket error frame or the Bot API envelope in one table each.
"""

from __future__ import annotations


class RpcError(Exception):
    """A refusal the client can act on: `code` is Telegram's numeric class, `type` the reason."""

    def __init__(self, code: int, type: str, message: str = "", retry_after: int | None = None):
        super().__init__(f"{code} {type}")
        self.code = code
        self.type = type
        self.message = message
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "type": self.type}
        if self.message:
            out["message"] = self.message
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out


def bad_request(type: str, message: str = "") -> RpcError:
    return RpcError(400, type, message)


def unauthorized(type: str = "AUTH_KEY_UNREGISTERED", message: str = "") -> RpcError:
    return RpcError(401, type, message)


def forbidden(type: str, message: str = "") -> RpcError:
    return RpcError(403, type, message)


def not_found(type: str, message: str = "") -> RpcError:
    return RpcError(404, type, message)


def flood_wait(seconds: int) -> RpcError:
    seconds = max(1, int(seconds))
    return RpcError(420, f"FLOOD_WAIT_{seconds}", "Too many requests", retry_after=seconds)
