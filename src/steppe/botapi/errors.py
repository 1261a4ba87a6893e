"""One table from Steppe's error codes to the Bot API's error envelope."""

from __future__ import annotations

from typing import Any

from steppe.domain.errors import RpcError

PREFIX = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          409: "Conflict", 413: "Request Entity Too Large", 429: "Too Many Requests",
          500: "Internal Server Error"}

DESCRIPTIONS = {
    "PEER_ID_INVALID": "chat not found",
    "CHAT_ID_INVALID": "chat not found",
    "USER_ID_INVALID": "user not found",
    "USER_NOT_PARTICIPANT": "member not found",
    "MESSAGE_ID_INVALID": "message not found",
    "MESSAGE_EMPTY": "message text is empty",
    "MESSAGE_TOO_LONG": "message is too long",
    "MESSAGE_NOT_MODIFIED": "message is not modified: specified new message content and reply "
                            "markup are exactly the same as a current content and reply markup "
                            "of the message",
    "REPLY_MESSAGE_INVALID": "message to be replied not found",
    "MESSAGE_EDIT_FORBIDDEN": "message can't be edited",
    "MESSAGE_AUTHOR_REQUIRED": "message can't be edited",
    "MESSAGE_EDIT_TIME_EXPIRED": "message can't be edited",
    "MESSAGE_DELETE_FORBIDDEN": "message can't be deleted",
    "CHAT_WRITE_FORBIDDEN": "not enough rights to send text messages to the chat",
    "CHAT_ADMIN_REQUIRED": "not enough rights to manage the chat",
    "CHAT_NOT_MODIFIED": "chat title is not modified",
    "USER_ADMIN_INVALID": "user is an administrator of the chat",
    "USER_ALREADY_PARTICIPANT": "user is already a participant",
    "USERS_TOO_MUCH": "too many members",
    "QUERY_ID_INVALID": "query is too old and response timeout expired or query ID is invalid",
    "GEO_POINT_INVALID": "wrong latitude or longitude",
    "SEND_MESSAGE_TYPE_INVALID": "wrong parameter action in request",
    "BOT_COMMAND_INVALID": "BOT_COMMAND_INVALID",
    "CHAT_SEND_MEDIA_FORBIDDEN": "not enough rights to send media messages to the chat",
    "CHAT_SEND_POLL_FORBIDDEN": "not enough rights to send polls to the chat",
    "CHAT_SEND_LINKS_FORBIDDEN": "not enough rights to send links to the chat",
    "CHANNEL_PRIVATE": "chat not found",
    "CHANNEL_INVALID": "chat not found",
    "USER_BANNED_IN_CHANNEL": "user is banned in the chat",
    "USER_KICKED": "user was kicked from the chat",
    "MESSAGE_POLL_CLOSED": "poll has already been closed",
    "MEDIA_CAPTION_TOO_LONG": "message caption is too long",
    "FILE_NOT_FOUND": "wrong file identifier/HTTP URL specified",
    "PHOTO_TOO_BIG": "PHOTO_TOO_BIG",
    "PHOTO_INVALID_DIMENSIONS": "PHOTO_INVALID_DIMENSIONS",
    "PHOTO_INVALID": "IMAGE_PROCESS_FAILED",
    "MEDIA_INVALID": "wrong type of the web page content",
    "REACTION_INVALID": "REACTION_INVALID",
    "REACTIONS_TOO_MANY": "REACTIONS_TOO_MANY",
    "INVITE_HASH_INVALID": "invite link not found",
    "INVITE_REVOKED_MISSING": "the invite link is revoked",
    "HIDE_REQUESTER_MISSING": "HIDE_REQUESTER_MISSING",
    "BROADCAST_PUBLIC_VOTERS_FORBIDDEN": "non-anonymous polls can't be sent to channel chats",
    "TOKEN_INVALID": "",
}


class BotApiError(Exception):
    """An error already in the Bot API's terms."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.code,
                               "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def bad(text: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {text}")


def conflict(text: str) -> BotApiError:
    return BotApiError(409, f"Conflict: {text}")


def from_rpc(err: RpcError) -> BotApiError:
    if err.code == 420 or err.type.startswith("FLOOD_WAIT"):
        wait = int(err.retry_after or 1)
        return BotApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
    code = err.code if err.code in PREFIX else (500 if err.code >= 500 else 400)
    if code == 401:
        return BotApiError(401, "Unauthorized")
    if err.type.startswith("ENTIT") and not err.message.startswith("can't parse"):
        text = f"can't parse entities: {err.message or err.type}"
    elif err.type in DESCRIPTIONS and DESCRIPTIONS[err.type]:
        text = DESCRIPTIONS[err.type]
        if err.type in ("MESSAGE_ID_INVALID", "CHAT_ID_INVALID") and err.message:
            text = err.message
    else:
        text = err.message or err.type
    return BotApiError(code, f"{PREFIX[code]}: {text}")
