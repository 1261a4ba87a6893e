"""Every new kind of event reaches a connected device live, and a device that was away catches up
through getDifference: applying what it missed to what it had equals what a fresh client loads.
(Views, forwards and reply counts are counters a client polls, as in Telegram: not compared.)"""

from __future__ import annotations

import time
from typing import Any

from channels.helpers import ALL_ADMIN, Actor, Cast, peer, wait_for
from steppe.client import Device

LATER = int(time.time()) + 86400


def _msg(m: dict[str, Any]) -> tuple[Any, ...]:
    poll = m.get("poll")
    action = m.get("action")
    return (m["sender_id"], m.get("text", ""), m.get("pinned", False),
            tuple((r["reaction"], r["count"]) for r in m.get("reactions", [])),
            (poll.get("total_voter_count", 0), tuple(o.get("voter_count", 0) for o in poll["options"]),
             poll.get("is_closed", False)) if poll else None,
            m.get("thread_id"), action["type"] if action else None)


def _info(info: dict[str, Any]) -> tuple[Any, ...]:
    return (info.get("about", ""), info.get("username"), info.get("slowmode_seconds", 0),
            info.get("forum", False), info.get("linked_chat_id"))


def _me(p: dict[str, Any]) -> tuple[Any, ...]:
    return (p["status"], tuple(sorted(p.get("admin_rights", {}).items())),
            tuple(sorted(p.get("banned_rights", {}).items())))


def _topic(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t["title"], t.get("closed", False), t.get("pinned", False))


async def fetch_chat(a: Actor, chat_id: int) -> dict[str, Any]:
    messages: dict[int, tuple[Any, ...]] = {}
    offset = 0
    while True:
        page = (await a("messages.getHistory", peer=peer(chat_id), offset_id=offset,
                        limit=100))["messages"]
        messages.update({m["id"]: _msg(m) for m in page})
        if len(page) < 100:
            break
        offset = page[-1]["id"]
    dialog = (await a("messages.getChat", peer=peer(chat_id)))["dialog"]
    state: dict[str, Any] = {"title": dialog["chat"].get("title", ""), "messages": messages,
                             "read": dialog.get("read_inbox_max_id", 0)}
    if dialog["chat"]["kind"] in ("supergroup", "channel"):
        full = await a("channels.getFullChannel", peer=peer(chat_id))
        state["info"], state["me"] = _info(full["info"]), _me(full["me"])
        state["topics"] = {}
        if full["info"].get("forum"):
            got = await a("messages.getForumTopics", peer=peer(chat_id))
            state["topics"] = {t["id"]: _topic(t) for t in got["topics"]}
        scheduled = await a("messages.getScheduledHistory", peer=peer(chat_id))
        state["scheduled"] = {m["id"]: m["text"] for m in scheduled["messages"]}
    return state


async def fetch_state(a: Actor) -> dict[int, dict[str, Any]]:
    dialogs = await a("messages.getDialogs", limit=100)
    return {d["chat"]["id"]: await fetch_chat(a, d["chat"]["id"]) for d in dialogs["dialogs"]}


class Model:
    """What a client keeps from the events alone (a chat it joins, or that is too long, it loads)."""

    def __init__(self, state: dict[int, dict[str, Any]]):
        self.chats = state
        self.reload: set[int] = set()

    def apply(self, ev: dict[str, Any]) -> None:
        getattr(self, "_" + ev["type"], lambda ev: None)(ev)

    def _new_message(self, ev: dict[str, Any]) -> None:
        m = ev["message"]
        chat = self.chats[ev["chat_id"]]
        chat["messages"][m["id"]] = _msg(m)
        action = m.get("action") or {}
        if action.get("type") == "chat_edit_title":
            chat["title"] = action["title"]

    _edit_message = _new_message

    def _delete_messages(self, ev: dict[str, Any]) -> None:
        for i in ev["ids"]:
            self.chats[ev["chat_id"]]["messages"].pop(i, None)

    def _change(self, ev: dict[str, Any], msg_id: int, index: int, value: Any) -> None:
        msgs = self.chats[ev["chat_id"]]["messages"]
        if msg_id in msgs:
            m = list(msgs[msg_id])
            m[index] = value
            msgs[msg_id] = tuple(m)

    def _pin_message(self, ev: dict[str, Any]) -> None:
        self._change(ev, ev["id"], 2, ev["pinned"])

    def _message_reactions(self, ev: dict[str, Any]) -> None:
        self._change(ev, ev["id"], 3, tuple((r["reaction"], r["count"]) for r in ev["reactions"]))

    def _message_poll(self, ev: dict[str, Any]) -> None:
        poll = ev["poll"]
        self._change(ev, ev["id"], 4, (poll.get("total_voter_count", 0),
                                      tuple(o.get("voter_count", 0) for o in poll["options"]),
                                      poll.get("is_closed", False)))

    def _chat_info(self, ev: dict[str, Any]) -> None:
        chat = self.chats[ev["chat_id"]]
        chat["info"], chat["title"] = _info(ev["info"]), ev["title"]

    def _forum_topic(self, ev: dict[str, Any]) -> None:
        self.chats[ev["chat_id"]]["topics"][ev["topic"]["id"]] = _topic(ev["topic"])

    def _read_channel_inbox(self, ev: dict[str, Any]) -> None:
        self.chats[ev["chat_id"]]["read"] = ev["max_id"]

    def _chat_rights(self, ev: dict[str, Any]) -> None:
        if ev["chat_id"] in self.chats:
            self.chats[ev["chat_id"]]["me"] = _me(ev["participant"])

    def _new_scheduled(self, ev: dict[str, Any]) -> None:
        m = ev["message"]
        self.chats[m["chat_id"]]["scheduled"][m["id"]] = m["text"]

    def _delete_scheduled(self, ev: dict[str, Any]) -> None:
        for i in ev["ids"]:
            self.chats[ev["chat_id"]]["scheduled"].pop(i, None)

    def _join_chat(self, ev: dict[str, Any]) -> None:
        self.reload.add(ev["chat"]["id"])
        self.chats.setdefault(ev["chat"]["id"], {"messages": {}})

    def _leave_chat(self, ev: dict[str, Any]) -> None:
        self.chats.pop(ev["chat_id"], None)
        self.reload.discard(ev["chat_id"])

    def _too_long(self, ev: dict[str, Any]) -> None:
        self.reload.add(ev["chat_id"])

    async def settle(self, a: Actor) -> dict[int, dict[str, Any]]:
        for chat_id in self.reload:
            self.chats[chat_id] = await fetch_chat(a, chat_id)
        return self.chats


async def connect(server: Any, token: str, seq: int | None = None,
                  pts: dict[int, int] | None = None) -> Device:
    events: list[dict[str, Any]] = []
    dev = Device(server.url, token, on_event=events.append)
    dev.events = events  # type: ignore[attr-defined]
    dev.seq, dev.pts = seq, dict(pts or {})
    await dev.connect()
    return dev


async def test_every_new_event_live_and_through_the_difference(server, cast: Cast
                                                               ) -> None:  # type: ignore[no-untyped-def]
    owner, me, other = await cast.user("Owner"), await cast.user("Me"), await cast.user("Other")
    group = (await owner("channels.createChannel", title="Group", megagroup=True, forum=True))["id"]
    chan = (await owner("channels.createChannel", title="Chan", broadcast=True))["id"]
    stay, leave = [(await owner("channels.createChannel", title=t, broadcast=True))["id"]
                   for t in ("Stay", "Leave")]
    basic = (await owner("messages.createChat", title="Basic", user_ids=[me.id, other.id]))["id"]
    await owner("messages.sendMessage", peer=peer(basic), text="old history")
    for chat, name in ((group, "ev_group"), (chan, "ev_chan"), (stay, "ev_stay"),
                       (leave, "ev_leave")):
        await owner("channels.updateUsername", peer=peer(chat), username=name)
    for chat in (group, chan, leave):
        await me("channels.joinChannel", peer=peer(chat))
    for chat in (group, chan):
        await other("channels.joinChannel", peer=peer(chat))
    old = await owner("messages.sendMessage", peer=peer(group), text="before")

    stale = await connect(server, me.token)
    seq, pts = stale.seq, dict(stale.pts)
    await stale.close()
    before = await fetch_state(me)
    live = await connect(server, me.token)

    g1 = await owner("messages.sendMessage", peer=peer(group), text="g1")
    g2 = await other("messages.sendMessage", peer=peer(group), text="g2", reply_to=g1["id"])
    p1 = await owner("messages.sendMessage", peer=peer(chan), text="p1")
    await owner("messages.editMessage", peer=peer(chan), id=p1["id"], text="p1 edited")
    await other("messages.sendReaction", peer=peer(chan), msg_id=p1["id"], reaction=["👍"])
    await me("messages.sendReaction", peer=peer(group), msg_id=g1["id"], reaction=["❤"])
    poll = await owner("messages.sendPoll", peer=peer(group),
                       poll={"question": "Lunch?", "answers": ["yes", "no"]})
    await other("messages.sendVote", peer=peer(group), msg_id=poll["id"], options=[1])
    await owner("messages.closePoll", peer=peer(group), msg_id=poll["id"])
    await owner("messages.updatePinnedMessage", peer=peer(group), id=g1["id"])
    await owner("messages.updatePinnedMessage", peer=peer(group), id=old["id"])
    await owner("messages.updatePinnedMessage", peer=peer(chan), id=p1["id"])
    await owner("messages.unpinAllMessages", peer=peer(chan))
    await owner("messages.deleteMessages", peer=peer(group), ids=[g2["id"]])
    await owner("messages.editChatAbout", peer=peer(chan), about="all the news")
    await owner("channels.editTitle", peer=peer(chan), title="Chan!")
    topic = await owner("messages.createForumTopic", peer=peer(group), title="Plans")
    await other("messages.sendMessage", peer=peer(group), text="in topic", thread_id=topic["id"])
    await owner("channels.toggleSlowMode", peer=peer(group), seconds=30)
    await owner("messages.editForumTopic", peer=peer(group), topic_id=topic["id"], title="Plans!",
                closed=True)
    await owner("messages.updatePinnedForumTopic", peer=peer(group), topic_id=topic["id"],
                pinned=True)
    await owner("channels.editBanned", peer=peer(group), user_id=me.id,
                banned_rights={"send_media": True})
    await owner("channels.editAdmin", peer=peer(chan), user_id=me.id,
                admin_rights={"post_messages": True})
    await me("messages.readHistory", peer=peer(chan))
    kept = await me("messages.sendMessage", peer=peer(chan), text="kept", schedule_date=LATER)
    dropped = await me("messages.sendMessage", peer=peer(chan), text="dropped",
                       schedule_date=LATER)
    await me("messages.deleteScheduledMessages", peer=peer(chan), ids=[dropped["id"]])
    await me("channels.joinChannel", peer=peer(stay))
    await me("channels.leaveChannel", peer=peer(leave))
    upgraded = await owner("messages.migrateChat", peer=peer(basic))
    await other("messages.readHistory", peer=peer(group))  # past everyone: my outbox, live
    assert kept["schedule_date"] == LATER

    want = {"new_message", "edit_message", "delete_messages", "pin_message", "message_reactions",
            "message_poll", "chat_info", "forum_topic", "read_channel_inbox", "chat_rights",
            "new_scheduled", "delete_scheduled", "join_chat", "leave_chat", "read_channel_outbox"}
    await wait_for(lambda: want <= {e.get("type") for e in live.events})
    # The hub follows joins and leaves: the joined channel's posts arrive, the left one's do not.
    await owner("messages.sendMessage", peer=peer(leave), text="not for me")
    await owner("messages.sendMessage", peer=peer(stay), text="for me")
    await wait_for(lambda: any(e.get("type") == "new_message" and e["chat_id"] == stay
                               for e in live.events))
    assert not any(e.get("chat_id") == leave and e.get("type") == "new_message"
                   for e in live.events)
    assert any(e.get("migrated_to") == upgraded["id"] for e in live.events
               if e.get("type") == "leave_chat")
    await live.close()

    caught = await connect(server, me.token, seq, pts)
    fresh = await fetch_state(me)
    model = Model(before)
    for ev in caught.events:  # type: ignore[attr-defined]
        model.apply(ev)
    assert {e["type"] for e in caught.events} >= want - {"read_channel_outbox"}  # type: ignore[attr-defined]
    assert await model.settle(me) == fresh
    assert set(fresh) == {group, chan, stay, upgraded["id"]}
    copied = fresh[upgraded["id"]]["messages"]
    assert [m[1] for m in copied.values() if m[1]] == ["old history"]
    await caught.close()


async def test_admin_rights_reach_the_promoted_users_devices(server, cast: Cast
                                                             ) -> None:  # type: ignore[no-untyped-def]
    owner, helper = await cast.user("Owner"), await cast.user("Helper")
    chan = (await owner("channels.createChannel", title="C", broadcast=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(chan), user_ids=[helper.id])
    dev = await connect(server, helper.token)
    await owner("channels.editAdmin", peer=peer(chan), user_id=helper.id, admin_rights=ALL_ADMIN,
                rank="Editor")
    await wait_for(lambda: any(e.get("type") == "chat_rights" for e in dev.events))
    got = [e for e in dev.events if e.get("type") == "chat_rights"][0]["participant"]
    assert got["status"] == "admin" and got["rank"] == "Editor" and got["promoted_by"] == owner.id
    await dev.close()
