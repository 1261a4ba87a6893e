"""Steppe's objects as Bot API JSON objects, for one bot. Every object carries every field the
Bot API marks required at every level (aiogram and telebot reject a whole getUpdates batch for
one missing field)."""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.domain import bots
from steppe.domain.bots import PendingUpdate
from steppe.domain.entities import Entity
from steppe.domain.markup import Poll, ReplyMarkup
from steppe.domain.models import Chat, Message, User
from steppe.services.core import Core

_dec = msgspec.json.Decoder()
ADMIN_FLAGS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
               "can_restrict_members", "can_promote_members", "can_change_info",
               "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
               "can_send_welcome_messages", "can_pin_messages", "can_manage_topics")
PERMISSIONS = ("can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
               "can_send_videos", "can_send_video_notes", "can_send_voice_notes",
               "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
               "can_react_to_messages", "can_edit_tag", "can_change_info", "can_invite_users",
               "can_pin_messages", "can_manage_topics")
ACCEPTED_GIFTS = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                  "premium_subscription": False, "gifts_from_channels": False}


def user_obj(u: User) -> dict[str, Any]:
    out: dict[str, Any] = {"id": u.id, "is_bot": u.is_bot, "first_name": u.first_name or " "}
    if u.last_name:
        out["last_name"] = u.last_name
    if u.username:
        out["username"] = u.username
    return out


def deleted_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Deleted Account"}


def admin_rights(value: bool) -> dict[str, Any]:
    return {"is_anonymous": False, **{f: value for f in ADMIN_FLAGS}}


def member_obj(status: str, user: dict[str, Any], *, until: int = 0,
               permissions: dict[str, bool] | None = None) -> dict[str, Any]:
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        return {"status": "administrator", "user": user, "can_be_edited": False,
                **admin_rights(True), "can_promote_members": False}
    if status == "restricted":
        perms = {f: bool((permissions or {}).get(f, False)) for f in PERMISSIONS}
        return {"status": "restricted", "user": user, "is_member": True, **perms,
                "until_date": until}
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": until}
    return {"status": status if status in ("member", "left") else "member", "user": user}


def markup_obj(markup: ReplyMarkup | None) -> dict[str, Any] | None:
    if markup is None or markup.inline_keyboard is None:
        return None
    return {"inline_keyboard": [[msgspec.to_builtins(b) for b in row]
                                for row in markup.inline_keyboard]}


def poll_obj(poll: Poll) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": poll.id, "question": poll.question,
        "options": [{"persistent_id": o.persistent_id or str(i), "text": o.text,
                     "voter_count": o.voter_count} for i, o in enumerate(poll.options)],
        "total_voter_count": poll.total_voter_count, "is_closed": poll.is_closed,
        "is_anonymous": poll.is_anonymous, "type": poll.type,
        "allows_multiple_answers": poll.allows_multiple_answers, "allows_revoting": False,
        "members_only": False}
    if poll.correct_option_id is not None:
        out["correct_option_id"] = poll.correct_option_id
    if poll.explanation:
        out["explanation"] = poll.explanation
    return out


class Renderer:
    """Renders for one bot (`viewer`), fetching and caching the users and chats it needs."""

    def __init__(self, core: Core, viewer: int):
        self.core = core
        self.viewer = viewer
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, Chat | None] = {}

    async def user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self._users:
            found = await self.core.store.get_users([user_id])
            self._users[user_id] = user_obj(found[user_id]) if user_id in found \
                else deleted_user(user_id)
        return self._users[user_id]

    async def get_chat(self, chat_id: int) -> Chat | None:
        if chat_id not in self._chats:
            self._chats[chat_id] = await self.core.chats.get_chat(chat_id)
        return self._chats[chat_id]

    def peer(self, chat: Chat) -> int | None:
        if chat.kind != "private":
            return None
        return next((u for u in chat.user_ids if u != self.viewer), self.viewer)

    async def chat(self, chat: Chat) -> dict[str, Any]:
        peer = self.peer(chat)
        out: dict[str, Any] = {"id": bots.api_chat_id(chat.kind, chat.id, peer),
                               "type": bots.chat_type(chat.kind)}
        if peer is not None:
            user = await self.user(peer)
            out.update({k: user[k] for k in ("first_name", "last_name", "username") if k in user})
        else:
            out["title"] = chat.title or " "
        return out

    async def full_chat(self, chat: Chat) -> dict[str, Any]:
        out = await self.chat(chat)
        out.update(accent_color_id=0, max_reaction_count=11,
                   accepted_gift_types=dict(ACCEPTED_GIFTS))
        peer = self.peer(chat)
        if peer is not None:
            found = await self.core.store.get_users([peer])
            if peer in found and found[peer].bio:
                out["bio"] = found[peer].bio
        else:
            out["permissions"] = {f: True for f in PERMISSIONS}
        return out

    async def entities(self, ents: list[Entity]) -> list[dict[str, Any]]:
        out = []
        for e in ents:
            item = msgspec.to_builtins(e)
            uid = item.pop("user_id", None)
            if e.type == "text_mention":
                if uid is None:
                    continue
                item["user"] = await self.user(uid)
            out.append(item)
        return out

    async def message(self, msg: Message, chat: Chat | None = None, *, nested: bool = False
                      ) -> dict[str, Any]:
        chat = chat or await self.get_chat(msg.chat_id)
        if chat is None:
            return {"message_id": msg.id, "date": 0, "chat": {"id": 0, "type": "private"}}
        chat_obj = await self.chat(chat)
        out: dict[str, Any] = {"message_id": msg.id, "date": msg.date, "chat": chat_obj}
        if chat.kind == "channel":
            out["sender_chat"] = chat_obj
        else:
            out["from"] = await self.user(msg.sender_id)
        if msg.text:
            out["text"] = msg.text
            ents = await self.entities(bots.full_entities(msg))
            if ents:
                out["entities"] = ents
        if msg.edit_date:
            out["edit_date"] = msg.edit_date
        if msg.reply_to is not None and not nested:
            found = await self.core.chats.get_messages(chat.id, [msg.reply_to])
            if found:
                out["reply_to_message"] = await self.message(found[0], chat, nested=True)
        if msg.fwd_from is not None:
            out["forward_origin"] = {"type": "user", "date": msg.fwd_from.date,
                                     "sender_user": await self.user(msg.fwd_from.from_user_id)}
        markup = markup_obj(msg.reply_markup)
        if markup is not None:
            out["reply_markup"] = markup
        if msg.via_bot_id is not None:
            out["via_bot"] = await self.user(msg.via_bot_id)
        await self._content(msg, out)
        if msg.action is not None:
            await self._action(msg, out)
        return out

    async def _content(self, msg: Message, out: dict[str, Any]) -> None:
        if msg.location is not None:
            out["location"] = msgspec.to_builtins(msg.location)
        if msg.venue is not None and msg.location is not None:
            out["venue"] = {"location": out["location"], **msgspec.to_builtins(msg.venue)}
        if msg.contact is not None:
            out["contact"] = msgspec.to_builtins(msg.contact)
        if msg.dice is not None:
            out["dice"] = msgspec.to_builtins(msg.dice)
        if msg.poll is not None:
            out["poll"] = poll_obj(msg.poll)

    async def _action(self, msg: Message, out: dict[str, Any]) -> None:
        action = msg.action
        assert action is not None
        if action.type == "chat_create":
            out["group_chat_created"] = True
        elif action.type == "chat_add_user":
            out["new_chat_members"] = [await self.user(u) for u in action.user_ids]
        elif action.type == "chat_delete_user" and action.user_ids:
            out["left_chat_member"] = await self.user(action.user_ids[0])
        elif action.type == "chat_edit_title" and action.title:
            out["new_chat_title"] = action.title
        elif action.type == "channel_create":
            out["channel_chat_created"] = True

    # ---- updates -----------------------------------------------------------------------------

    async def update(self, p: PendingUpdate) -> dict[str, Any]:
        try:
            body = await self._payload(p.kind, p.chat_id, _dec.decode(p.payload))
        except Exception:  # noqa: BLE001 - an update we cannot show is sent bare, never wedges
            body = None
        out: dict[str, Any] = {"update_id": p.update_id}
        if body is not None:
            out[p.kind] = body
        return out

    async def _payload(self, kind: str, chat_id: int, data: dict[str, Any]) -> Any:
        if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            return await self.message(msgspec.convert(data["message"], Message))
        if kind in ("my_chat_member", "chat_member"):
            chat = await self.get_chat(chat_id)
            if chat is None:
                return None
            user = await self.user(data["user_id"])
            return {"chat": await self.chat(chat), "from": await self.user(data["actor"]),
                    "date": data["date"], "old_chat_member": member_obj(data["old"], user),
                    "new_chat_member": member_obj(data["new"], user)}
        if kind == "callback_query":
            return await self._callback(data)
        if kind == "inline_query":
            out = {"id": data["id"], "from": await self.user(data["from"]),
                   "query": data["query"], "offset": data.get("offset", "")}
            if data.get("chat_type"):
                out["chat_type"] = data["chat_type"]
            return out
        if kind == "chosen_inline_result":
            out = {"result_id": data["result_id"], "from": await self.user(data["from"]),
                   "query": data["query"]}
            if data.get("inline_message_id"):
                out["inline_message_id"] = data["inline_message_id"]
            return out
        return None

    async def _callback(self, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": data["id"], "from": await self.user(data["from"]),
                               "chat_instance": data["chat_instance"]}
        if data.get("data") is not None:
            out["data"] = data["data"]
        if data.get("inline_message_id"):
            out["inline_message_id"] = data["inline_message_id"]
            return out
        chat = await self.get_chat(data["chat_id"])
        found = await self.core.chats.get_messages(data["chat_id"], [data["message_id"]]) \
            if chat else []
        if found and chat is not None:
            out["message"] = await self.message(found[0], chat)
        elif chat is not None:
            out["message"] = {"chat": await self.chat(chat), "message_id": data["message_id"],
                              "date": 0}
        return out
