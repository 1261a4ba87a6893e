"""The permission matrix: every action in a supergroup and in a channel, by every role — allowed,
or the exact error (its type and code).

Roles: the creator; an admin with every right; an admin with every right but the one the action
needs; a member; a restricted member (in the supergroup: may send text, nothing else); a banned
user; a user who left; a user who never joined; a bot (a member of the supergroup, and — the
only way a bot is in a channel — an admin of the channel who may post).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channels.helpers import ALL_ADMIN, BAN, Actor, Cast, peer
from steppe.client import ApiError

ROLES = ("creator", "admin", "admin_wo", "member", "restricted", "banned", "left", "nonmember",
         "bot")
CODES = {"PEER_ID_INVALID": 400, "CHANNEL_PRIVATE": 400, "CHAT_WRITE_FORBIDDEN": 403,
         "CHAT_ADMIN_REQUIRED": 403, "CHAT_SEND_POLL_FORBIDDEN": 403,
         "CHAT_SEND_LINKS_FORBIDDEN": 403, "MESSAGE_DELETE_FORBIDDEN": 403,
         "MESSAGE_AUTHOR_REQUIRED": 403, "BOT_METHOD_INVALID": 400,
         "USER_ALREADY_PARTICIPANT": 400, "USER_BANNED_IN_CHANNEL": 400,
         "BROADCAST_FORBIDDEN": 403}
# What the restricted member of the supergroup may not do (sending text stays allowed).
RESTRICTED = {"send_media": True, "send_links": True, "send_polls": True, "invite_users": True,
              "pin_messages": True, "change_info": True, "manage_topics": True}

P, OK = "PEER_ID_INVALID", "ok"
CP, WF, AR = "CHANNEL_PRIVATE", "CHAT_WRITE_FORBIDDEN", "CHAT_ADMIN_REQUIRED"
DF, AU, BOT = "MESSAGE_DELETE_FORBIDDEN", "MESSAGE_AUTHOR_REQUIRED", "BOT_METHOD_INVALID"


def row(spec: str) -> dict[str, str]:
    """Nine outcomes in ROLES order."""
    parts = spec.split()
    assert len(parts) == len(ROLES), spec
    return dict(zip(ROLES, parts, strict=True))


@dataclass
class World:
    cast: Cast
    roles: dict[str, Actor]
    s: int
    c: int
    s_msg: int
    s_other: int  # a message by someone outside the roles
    s_poll: int
    c_post: int
    c_poll: int
    n: itertools.count  # type: ignore[type-arg]

    @property
    def creator(self) -> Actor:
        return self.roles["creator"]

    async def fresh_member(self, chat: int) -> Actor:
        user = await self.cast.user(f"Target{next(self.n)}")
        await self.creator("channels.inviteToChannel", peer=peer(chat), user_ids=[user.id])
        return user


Action = Callable[[World, Actor], Awaitable[Any]]


def later() -> int:
    return int(time.time()) + 3600


async def _s_send(w: World, a: Actor) -> Any:
    return await a("messages.sendMessage", peer=peer(w.s), text="hi")


async def _s_link(w: World, a: Actor) -> Any:
    return await a("messages.sendMessage", peer=peer(w.s), text="see https://example.com")


async def _s_poll(w: World, a: Actor) -> Any:
    return await a("messages.sendPoll", peer=peer(w.s), poll={"question": "?", "answers": ["a", "b"]})


async def _s_topic(w: World, a: Actor) -> Any:
    return await a("messages.createForumTopic", peer=peer(w.s), title=f"t{next(w.n)}")


async def _s_pin(w: World, a: Actor) -> Any:
    return await a("messages.updatePinnedMessage", peer=peer(w.s), id=w.s_msg)


async def _s_about(w: World, a: Actor) -> Any:
    return await a("messages.editChatAbout", peer=peer(w.s), about=f"about {next(w.n)}")


async def _s_invite(w: World, a: Actor) -> Any:
    user = await w.cast.user(f"Invitee{next(w.n)}")
    return await a("channels.inviteToChannel", peer=peer(w.s), user_ids=[user.id])


async def _s_export(w: World, a: Actor) -> Any:
    return await a("messages.exportChatInvite", peer=peer(w.s))


async def _s_delete_others(w: World, a: Actor) -> Any:
    msg = await w.creator("messages.sendMessage", peer=peer(w.s), text="to delete")
    return await a("messages.deleteMessages", peer=peer(w.s), ids=[msg["id"]])


async def _s_edit_others(w: World, a: Actor) -> Any:
    return await a("messages.editMessage", peer=peer(w.s), id=w.s_other, text=f"e{next(w.n)}")


async def _s_ban(w: World, a: Actor) -> Any:
    target = await w.fresh_member(w.s)
    return await a("channels.editBanned", peer=peer(w.s), user_id=target.id, banned_rights=BAN)


async def _s_restrict(w: World, a: Actor) -> Any:
    target = await w.fresh_member(w.s)
    return await a("channels.editBanned", peer=peer(w.s), user_id=target.id,
                   banned_rights={"send_messages": True})


async def _s_promote(w: World, a: Actor) -> Any:
    target = await w.fresh_member(w.s)
    return await a("channels.editAdmin", peer=peer(w.s), user_id=target.id,
                   admin_rights={"pin_messages": True})


async def _s_slowmode(w: World, a: Actor) -> Any:
    await a("channels.toggleSlowMode", peer=peer(w.s), seconds=10)
    await w.creator("channels.toggleSlowMode", peer=peer(w.s), seconds=0)


async def _s_defaults(w: World, a: Actor) -> Any:
    base = {"pin_messages": True, "change_info": True, "manage_topics": True}
    await a("messages.editChatDefaultBannedRights", peer=peer(w.s),
            banned_rights={**base, "send_media": True})
    await w.creator("messages.editChatDefaultBannedRights", peer=peer(w.s), banned_rights=base)


async def _react(chat: int, msg: int, a: Actor) -> Any:
    return await a("messages.sendReaction", peer=peer(chat), msg_id=msg, reaction=["👍"])


async def _vote(chat: int, msg: int, a: Actor) -> Any:
    return await a("messages.sendVote", peer=peer(chat), msg_id=msg, options=[0])


async def _join(chat: int, a: Actor) -> Any:
    await a("channels.joinChannel", peer=peer(chat))
    await a("channels.leaveChannel", peer=peer(chat))  # back to where the role was


def common(chat: Callable[[World], int]) -> dict[str, Action]:
    """Actions both kinds share."""
    return {
        "read": lambda w, a: a("messages.readHistory", peer=peer(chat(w))),
        "history": lambda w, a: a("messages.getHistory", peer=peer(chat(w))),
        "preview": lambda w, a: a("channels.getMessages", peer=peer(chat(w))),
        "get_full": lambda w, a: a("channels.getFullChannel", peer=peer(chat(w))),
        "admin_log": lambda w, a: a("channels.getAdminLog", peer=peer(chat(w))),
        "participants": lambda w, a: a("channels.getParticipants", peer=peer(chat(w))),
        "export_link": lambda w, a: a("messages.exportChatInvite", peer=peer(chat(w))),
    }


SUPERGROUP: dict[str, tuple[str | None, Action, dict[str, str]]] = {
    # action: (the admin right it needs, how, outcomes by role)
    "send": (None, _s_send, row(f"{OK} {OK} {OK} {OK} {OK} {P} {P} {P} {OK}")),
    "send_link": (None, _s_link, row(f"{OK} {OK} {OK} {OK} CHAT_SEND_LINKS_FORBIDDEN {P} {P} {P} {OK}")),
    "send_poll": (None, _s_poll, row(f"{OK} {OK} {OK} {OK} CHAT_SEND_POLL_FORBIDDEN {P} {P} {P} {OK}")),
    "schedule": (None, lambda w, a: a("messages.sendMessage", peer=peer(w.s), text="later",
                                      schedule_date=later()),
                 row(f"{OK} {OK} {OK} {OK} {OK} {P} {P} {P} {OK}")),
    "create_topic": ("manage_topics", _s_topic, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "pin": ("pin_messages", _s_pin, row(f"{OK} {OK} {AR} {AR} {AR} {P} {P} {P} {AR}")),
    "change_info": ("change_info", _s_about, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "invite": ("invite_users", _s_invite, row(f"{OK} {OK} {OK} {OK} {AR} {CP} {P} {P} {OK}")),
    "export_link": ("invite_users", None,  # type: ignore[dict-item]
                    row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "delete_others": ("delete_messages", _s_delete_others,
                      row(f"{OK} {OK} {DF} {DF} {DF} {P} {P} {P} {DF}")),
    "edit_others": (None, _s_edit_others, row(f"{AU} {AU} {AU} {AU} {AU} {P} {P} {P} {AU}")),
    "ban": ("ban_users", _s_ban, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "restrict": ("ban_users", _s_restrict, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "promote": ("add_admins", _s_promote, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "slowmode": ("ban_users", _s_slowmode, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "default_rights": ("ban_users", _s_defaults, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "react": (None, lambda w, a: _react(w.s, w.s_msg, a),
              row(f"{OK} {OK} {OK} {OK} {OK} {CP} {P} {P} {OK}")),
    "reactors": (None, lambda w, a: a("messages.getMessageReactionsList", peer=peer(w.s),
                                      id=w.s_msg), row(f"{OK} {OK} {OK} {OK} {OK} {CP} {P} {P} {OK}")),
    "vote": (None, lambda w, a: _vote(w.s, w.s_poll, a),
             row(f"{OK} {OK} {OK} {OK} {OK} {CP} {P} {P} {BOT}")),
    "read": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {P} {P} {P} {OK}")),  # type: ignore[dict-item]
    "history": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {P} {P} {P} {OK}")),  # type: ignore[dict-item]
    "preview": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {CP} {OK} {OK} {OK}")),  # type: ignore[dict-item]
    "get_full": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {CP} {OK} {OK} {OK}")),  # type: ignore[dict-item]
    "participants": (None, None,  # type: ignore[dict-item]
                     row(f"{OK} {OK} {OK} {OK} {OK} {CP} {P} {P} {OK}")),
    "banned_list": ("ban_users", lambda w, a: a("channels.getParticipants", peer=peer(w.s),
                                                filter="banned"),
                    row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "admin_log": (None, None, row(f"{OK} {OK} {OK} {AR} {AR} {CP} {P} {P} {AR}")),  # type: ignore[dict-item]
    "join": (None, lambda w, a: _join(w.s, a),
             row("USER_ALREADY_PARTICIPANT USER_ALREADY_PARTICIPANT USER_ALREADY_PARTICIPANT"
                 f" USER_ALREADY_PARTICIPANT USER_ALREADY_PARTICIPANT USER_BANNED_IN_CHANNEL {OK} {OK}"
                 f" {BOT}")),
}

CHANNEL: dict[str, tuple[str | None, Action, dict[str, str]]] = {
    "post": ("post_messages", lambda w, a: a("messages.sendMessage", peer=peer(w.c), text="news"),
             row(f"{OK} {OK} {WF} {WF} {WF} {P} {P} {P} {OK}")),
    "post_poll": ("post_messages", lambda w, a: a("messages.sendPoll", peer=peer(w.c),
                                                  poll={"question": "?", "answers": ["a", "b"]}),
                  row(f"{OK} {OK} {WF} {WF} {WF} {P} {P} {P} {OK}")),
    "schedule": ("post_messages", lambda w, a: a("messages.sendMessage", peer=peer(w.c),
                                                 text="later", schedule_date=later()),
                 row(f"{OK} {OK} {WF} {WF} {WF} {P} {P} {P} {OK}")),
    "edit_post": ("edit_messages", lambda w, a: a("messages.editMessage", peer=peer(w.c),
                                                  id=w.c_post, text=f"e{next(w.n)}"),
                  row(f"{OK} {OK} {AU} {AU} {AU} {P} {P} {P} {AU}")),
    "delete_post": ("delete_messages", None,  # type: ignore[dict-item]
                    row(f"{OK} {OK} {DF} {DF} {DF} {P} {P} {P} {DF}")),
    "pin": ("pin_messages", lambda w, a: a("messages.updatePinnedMessage", peer=peer(w.c),
                                           id=w.c_post),
            row(f"{OK} {OK} {AR} {AR} {AR} {P} {P} {P} {AR}")),
    "change_info": ("change_info", lambda w, a: a("messages.editChatAbout", peer=peer(w.c),
                                                  about=f"about {next(w.n)}"),
                    row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "signatures": ("change_info", None,  # type: ignore[dict-item]
                   row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "invite": ("invite_users", None,  # type: ignore[dict-item]
               row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "export_link": ("invite_users", None,  # type: ignore[dict-item]
                    row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "ban": ("ban_users", None, row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),  # type: ignore[dict-item]
    "promote": ("add_admins", None,  # type: ignore[dict-item]
                row(f"{OK} {OK} {AR} {AR} {AR} {CP} {P} {P} {AR}")),
    "react": (None, lambda w, a: _react(w.c, w.c_post, a),
              row(f"{OK} {OK} {OK} {OK} {OK} {CP} {P} {P} {OK}")),
    "reactors": (None, lambda w, a: a("messages.getMessageReactionsList", peer=peer(w.c),
                                      id=w.c_post),
                 row(f"BROADCAST_FORBIDDEN BROADCAST_FORBIDDEN BROADCAST_FORBIDDEN"
                     f" BROADCAST_FORBIDDEN BROADCAST_FORBIDDEN {CP} {P} {P} BROADCAST_FORBIDDEN")),
    "vote": (None, lambda w, a: _vote(w.c, w.c_poll, a),
             row(f"{OK} {OK} {OK} {OK} {OK} {CP} {P} {P} {BOT}")),
    "views": (None, lambda w, a: a("messages.getMessagesViews", peer=peer(w.c), ids=[w.c_post],
                                   increment=True), row(f"{OK} {OK} {OK} {OK} {OK} {CP} {OK} {OK} {OK}")),
    "read": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {P} {P} {P} {OK}")),  # type: ignore[dict-item]
    "history": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {P} {P} {P} {OK}")),  # type: ignore[dict-item]
    "preview": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {CP} {OK} {OK} {OK}")),  # type: ignore[dict-item]
    "get_full": (None, None, row(f"{OK} {OK} {OK} {OK} {OK} {CP} {OK} {OK} {OK}")),  # type: ignore[dict-item]
    "participants": (None, None,  # type: ignore[dict-item]
                     row(f"{OK} {OK} {OK} {AR} {AR} {CP} {P} {P} {OK}")),
    "admin_log": (None, None, row(f"{OK} {OK} {OK} {AR} {AR} {CP} {P} {P} {OK}")),  # type: ignore[dict-item]
    "join": (None, lambda w, a: _join(w.c, a),
             row("USER_ALREADY_PARTICIPANT USER_ALREADY_PARTICIPANT USER_ALREADY_PARTICIPANT"
                 f" USER_ALREADY_PARTICIPANT USER_ALREADY_PARTICIPANT USER_BANNED_IN_CHANNEL {OK} {OK}"
                 f" {BOT}")),
}


async def _c_delete(w: World, a: Actor) -> Any:
    post = await w.creator("messages.sendMessage", peer=peer(w.c), text="to delete")
    return await a("messages.deleteMessages", peer=peer(w.c), ids=[post["id"]])


async def _c_signatures(w: World, a: Actor) -> Any:
    await a("channels.toggleSignatures", peer=peer(w.c), enabled=True)
    await w.creator("channels.toggleSignatures", peer=peer(w.c), enabled=False)


async def _c_invite(w: World, a: Actor) -> Any:
    user = await w.cast.user(f"Invitee{next(w.n)}")
    return await a("channels.inviteToChannel", peer=peer(w.c), user_ids=[user.id])


async def _c_ban(w: World, a: Actor) -> Any:
    target = await w.fresh_member(w.c)
    return await a("channels.editBanned", peer=peer(w.c), user_id=target.id, banned_rights=BAN)


async def _c_promote(w: World, a: Actor) -> Any:
    target = await w.fresh_member(w.c)
    return await a("channels.editAdmin", peer=peer(w.c), user_id=target.id,
                   admin_rights={"post_messages": True})


def _fill(table: dict[str, tuple[str | None, Action, dict[str, str]]],
          chat: Callable[[World], int], extra: dict[str, Action]) -> None:
    shared = common(chat)
    for name, (right, act, want) in table.items():
        if act is None:
            table[name] = (right, extra.get(name) or shared[name], want)


_fill(SUPERGROUP, lambda w: w.s, {})
_fill(CHANNEL, lambda w: w.c, {"delete_post": _c_delete, "signatures": _c_signatures,
                               "invite": _c_invite, "ban": _c_ban, "promote": _c_promote})


async def build(cast: Cast) -> World:
    roles = {name: await (cast.bot("Robo") if name == "bot" else cast.user(name.title()))
             for name in ROLES}
    creator = roles["creator"]
    s = (await creator("channels.createChannel", title="Matrix group", megagroup=True,
                       forum=True))["id"]
    c = (await creator("channels.createChannel", title="Matrix news", broadcast=True))["id"]
    await creator("channels.updateUsername", peer=peer(s), username="matrix_group")
    await creator("channels.updateUsername", peer=peer(c), username="matrix_news")
    for chat in (s, c):
        for name in ("admin", "admin_wo", "member", "restricted", "banned", "left"):
            await roles[name]("channels.joinChannel", peer=peer(chat))
        await creator("channels.editAdmin", peer=peer(chat), user_id=roles["admin"].id,
                      admin_rights=ALL_ADMIN)
        await creator("channels.editBanned", peer=peer(chat), user_id=roles["banned"].id,
                      banned_rights=BAN)
        await roles["left"]("channels.leaveChannel", peer=peer(chat))
    await creator("channels.editBanned", peer=peer(s), user_id=roles["restricted"].id,
                  banned_rights=RESTRICTED)
    await creator("channels.editBanned", peer=peer(c), user_id=roles["restricted"].id,
                  banned_rights=RESTRICTED)
    await creator("channels.inviteToChannel", peer=peer(s), user_ids=[roles["bot"].id])
    await creator("channels.editAdmin", peer=peer(c), user_id=roles["bot"].id,
                  admin_rights={"post_messages": True})
    s_msg = (await creator("messages.sendMessage", peer=peer(s), text="pin me"))["id"]
    author = await cast.user("Author")
    await author("channels.joinChannel", peer=peer(s))
    s_other = (await author("messages.sendMessage", peer=peer(s), text="mine"))["id"]
    s_poll = (await creator("messages.sendPoll", peer=peer(s),
                            poll={"question": "?", "answers": ["a", "b"]}))["id"]
    c_post = (await creator("messages.sendMessage", peer=peer(c), text="post"))["id"]
    c_poll = (await creator("messages.sendPoll", peer=peer(c),
                            poll={"question": "?", "answers": ["a", "b"]}))["id"]
    return World(cast, roles, s, c, s_msg, s_other, s_poll, c_post, c_poll, itertools.count())


async def run_table(w: World, chat: int, table: dict[str, tuple[str | None, Action, dict[str, str]]]
                    ) -> list[str]:
    wrong = []
    for name, (right, act, want) in table.items():
        rights = {k: v for k, v in ALL_ADMIN.items() if k != right}
        await w.creator("channels.editAdmin", peer=peer(chat), user_id=w.roles["admin_wo"].id,
                        admin_rights=rights)
        for role in ROLES:
            try:
                await act(w, w.roles[role])
                got = OK
            except ApiError as err:
                got = err.type
                if err.code != CODES.get(err.type):
                    wrong.append(f"{name} by {role}: {err.type} came with code {err.code}")
            if got != want[role]:
                wrong.append(f"{name} by {role}: got {got}, want {want[role]}")
    return wrong


async def test_supergroup_matrix(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    w = await build(cast)
    assert await run_table(w, w.s, SUPERGROUP) == []


async def test_channel_matrix(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    w = await build(cast)
    assert await run_table(w, w.c, CHANNEL) == []
