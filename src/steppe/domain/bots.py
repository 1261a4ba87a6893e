"""Rules about bots that need no I/O: tokens, usernames, Telegram's chat ids, privacy mode,
command scopes, which update types a bot gets."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

import msgspec

from steppe.domain import validate
from steppe.domain.entities import Entity, detect_entities, merge_entities, slice_utf16
from steppe.domain.errors import bad_request
from steppe.domain.models import Message

# Telegram's update types, in the order of its documentation.
UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost",
)
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
UPDATE_TTL = 24 * 3600
SUPERGROUP_SHIFT = 1_000_000_000_000
_TOKEN = re.compile(r"(\d{1,19}):([A-Za-z0-9_-]{16,128})")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class BotCommand(msgspec.Struct):
    command: str
    description: str


# ---- tokens and names ---------------------------------------------------------------------

def new_secret() -> str:
    """256 random bits, as Telegram-style token characters."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[int, str] | None:
    m = _TOKEN.fullmatch(token)
    return (int(m.group(1)), m.group(2)) if m else None


def bot_username(value: str) -> str:
    value = validate.username(value)
    if not value.lower().endswith("bot"):
        raise bad_request("USERNAME_INVALID", "a bot's username must end in 'bot'")
    return value


def commands(items: list[BotCommand]) -> list[BotCommand]:
    if len(items) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    out = []
    for c in items:
        name = c.command.strip().lstrip("/").lower()
        if not _COMMAND.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID", f"bad command {c.command[:40]!r}")
        if not 1 <= len(c.description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        out.append(BotCommand(name, c.description.strip()))
    return out


# ---- Telegram's ids -----------------------------------------------------------------------

def api_chat_id(kind: str, chat_id: int, peer_user_id: int | None) -> int:
    """The id a bot sees: the other user for a private chat, -id for a basic group,
    -100… for a supergroup or channel."""
    if kind == "private":
        assert peer_user_id is not None
        return peer_user_id
    if kind == "group":
        return -chat_id
    return -(SUPERGROUP_SHIFT + chat_id)


def parse_api_chat_id(value: int) -> tuple[str, int]:
    """('user', user id) | ('group', chat id) | ('channel', chat id)."""
    if value > 0:
        return "user", value
    if value <= -SUPERGROUP_SHIFT:
        return "channel", -value - SUPERGROUP_SHIFT
    if value < 0:
        return "group", -value
    raise bad_request("PEER_ID_INVALID")


def chat_type(kind: str) -> str:
    return kind if kind in ("private", "group", "supergroup", "channel") else "group"


# ---- what a bot sees ----------------------------------------------------------------------

def full_entities(msg: Message) -> list[Entity]:
    """The entities a bot gets: explicit ones plus what the server detects (commands, links)."""
    if not msg.text:
        return list(msg.entities)
    return merge_entities(list(msg.entities), detect_entities(msg.text))


def command_of(msg: Message) -> tuple[str, str | None] | None:
    """('start', 'mybot') for '/start@mybot …' at offset 0, ('start', None) for '/start …'."""
    for e in full_entities(msg):
        if e.type == "bot_command" and e.offset == 0:
            name, _, target = slice_utf16(msg.text, e.offset, e.length)[1:].partition("@")
            return name.lower(), (target or None)
    return None


def mentions(msg: Message, username: str) -> bool:
    want = "@" + username.lower()
    return any(e.type == "mention" and slice_utf16(msg.text, e.offset, e.length).lower() == want
               for e in full_entities(msg))


def sees_in_group(msg: Message, bot_id: int, username: str, *, privacy: bool, admin: bool,
                  replied_sender: int | None) -> bool:
    """Privacy mode: a bot that is not an admin and has privacy on sees commands (for it or for
    every bot), replies to its messages, mentions of it, and service messages."""
    if not privacy or admin or msg.action is not None:
        return True
    command = command_of(msg)
    if command is not None:
        return command[1] is None or command[1].lower() == username.lower()
    if replied_sender == bot_id or msg.via_bot_id == bot_id:
        return True
    return mentions(msg, username)


def allowed(kind: str, allowed_updates: list[str] | None) -> bool:
    if not allowed_updates:
        return kind not in NOT_BY_DEFAULT
    return kind in allowed_updates


def clean_allowed_updates(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v in UPDATE_TYPES]


# ---- command scopes -----------------------------------------------------------------------

def scope_key(scope: dict[str, object] | None) -> str:
    scope = scope or {"type": "default"}
    kind = str(scope.get("type", "default"))
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return kind
    if kind in ("chat", "chat_administrators"):
        return f"{kind}:{_scope_int(scope, 'chat_id')}"
    if kind == "chat_member":
        return f"chat_member:{_scope_int(scope, 'chat_id')}:{_scope_int(scope, 'user_id')}"
    raise bad_request("BOT_COMMAND_SCOPE_INVALID", f"unknown scope type {kind[:32]!r}")


def _scope_int(scope: dict[str, object], key: str) -> int:
    value = scope.get(key)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int):
        raise bad_request("BOT_COMMAND_SCOPE_INVALID", f"scope needs {key}")
    return value


def scope_chain(api_chat: int | None, private: bool, user_id: int, admin: bool) -> list[str]:
    """Scopes whose commands a user sees in a chat, most specific first (Telegram's order)."""
    if api_chat is None:
        return ["default"]
    if private:
        return [f"chat:{api_chat}", "all_private_chats", "default"]
    chain = [f"chat_member:{api_chat}:{user_id}"]
    if admin:
        chain.append(f"chat_administrators:{api_chat}")
    chain.append(f"chat:{api_chat}")
    if admin:
        chain.append("all_chat_administrators")
    return [*chain, "all_group_chats", "default"]


class Bot(msgspec.Struct, omit_defaults=True):
    """What the server keeps about a bot account beyond its `User`."""

    user_id: int
    owner_id: int
    token_hash: str
    description: str = ""
    privacy: bool = True
    inline_placeholder: str = ""
    allowed_updates: list[str] | None = None
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_max_connections: int = 40
    webhook_error_date: int = 0
    webhook_error: str = ""
    user_seq: int = 0
    created: int = 0


class PendingUpdate(msgspec.Struct):
    """One queued update in Steppe's terms; the Bot API adapter renders it."""

    update_id: int
    kind: str
    chat_id: int
    payload: str


def inline_message_id(chat_id: int, msg_id: int) -> str:
    """The opaque id of a message sent via a bot (the bot edits it without being in the chat)."""
    return base64.urlsafe_b64encode(f"{chat_id}:{msg_id}".encode()).decode().rstrip("=")


def parse_inline_message_id(value: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        chat_id, msg_id = (int(x) for x in raw.split(":"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("MESSAGE_ID_INVALID", "invalid inline_message_id") from exc
    return chat_id, msg_id


def chat_instance(bot_id: int, chat_id: int) -> str:
    digest = hashlib.sha256(f"{bot_id}:{chat_id}".encode()).hexdigest()
    return str(int(digest[:15], 16))


# ---- a bot's own channel posts ---------------------------------------------------------------
# A channel post is the channel's (sender -chat id), so the one trace of the bot that posted it
# is the random_id it is stored with: negative, the bot's id in the low bits, 40 random bits.
# The feed reads it to keep a bot's own posts out of its channel_post updates.

_POST_BITS = 22


def post_random_id(bot_id: int) -> int:
    return -((secrets.randbits(40) << _POST_BITS) | (bot_id & ((1 << _POST_BITS) - 1)) | 1 << 62)


def is_post_of(random_id: int | None, bot_id: int) -> bool:
    if random_id is None or random_id >= 0 or not -random_id >> 62 & 1:
        return False
    return -random_id & ((1 << _POST_BITS) - 1) == bot_id & ((1 << _POST_BITS) - 1)


# ---- rights: Telegram's objects and Steppe's ---------------------------------------------------

MEDIA_PERMISSIONS = ("can_send_audios", "can_send_documents", "can_send_photos",
                     "can_send_videos", "can_send_video_notes", "can_send_voice_notes",
                     "can_send_other_messages")
# Bot API admin flag -> domain.channels.AdminRights field
ADMIN_RIGHT_OF = {"can_change_info": "change_info", "can_post_messages": "post_messages",
                  "can_edit_messages": "edit_messages", "can_delete_messages": "delete_messages",
                  "can_restrict_members": "ban_users", "can_invite_users": "invite_users",
                  "can_pin_messages": "pin_messages", "can_promote_members": "add_admins",
                  "can_manage_topics": "manage_topics", "is_anonymous": "anonymous"}


def banned_from_permissions(perms: dict[str, bool]) -> dict[str, bool]:
    """ChatPermissions (a missing one is false) as the fields of a `BannedRights`."""
    media = [perms.get(k, False) for k in MEDIA_PERMISSIONS]
    if "can_send_media_messages" in perms:  # before Bot API 6.5: one switch for all media
        media = [bool(perms["can_send_media_messages"])]
    return {"send_messages": not perms.get("can_send_messages", False),
            "send_media": not all(media),
            "send_links": not perms.get("can_add_web_page_previews", False),
            "send_polls": not perms.get("can_send_polls", False),
            "invite_users": not perms.get("can_invite_users", False),
            "pin_messages": not perms.get("can_pin_messages", False),
            "change_info": not perms.get("can_change_info", False),
            "manage_topics": not perms.get("can_manage_topics", False)}


def permissions_from_banned(banned: dict[str, bool]) -> dict[str, bool]:
    """A `BannedRights` (as a dict) as Telegram's ChatPermissions, every field present."""
    media = not banned.get("send_media", False)
    out = {"can_send_messages": not banned.get("send_messages", False),
           **{k: media for k in MEDIA_PERMISSIONS},
           "can_send_polls": not banned.get("send_polls", False),
           "can_add_web_page_previews": not banned.get("send_links", False),
           "can_react_to_messages": True, "can_edit_tag": False,
           "can_change_info": not banned.get("change_info", False),
           "can_invite_users": not banned.get("invite_users", False),
           "can_pin_messages": not banned.get("pin_messages", False),
           "can_manage_topics": not banned.get("manage_topics", False)}
    return out


def admin_from_flags(flags: dict[str, bool]) -> dict[str, bool]:
    """promoteChatMember's flags as the fields of an `AdminRights`."""
    return {right: bool(flags.get(flag, False)) for flag, right in ADMIN_RIGHT_OF.items()}


# ---- files -----------------------------------------------------------------------------------

def file_unique_id(file_id: str) -> str:
    """The same for a file however and by whichever bot it is seen (its id is, too)."""
    return base64.urlsafe_b64encode(hashlib.sha256(file_id.encode()).digest()[:12]).decode()


FILE_FOLDERS = {"photo": "photos", "document": "documents", "video": "videos", "audio": "music",
                "voice": "voice", "animation": "animations", "sticker": "stickers"}
