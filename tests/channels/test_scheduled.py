"""Scheduled posts: listed, edited, cancelled, sent early; delivered at their time on an injected
clock (no sleeping for time to pass), and after a restart of the server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from channels.helpers import Actor, fails, peer, wait_for
from steppe.client import Device, Http
from steppe.services.core import ManualClock

T0 = 1_800_000_000


def tick(srv: Any) -> int:
    return int(srv.run(srv.app.services.channels.scheduled.tick()))


async def texts(actor: Actor, chat: dict[str, int]) -> list[str]:
    got = await actor("messages.getHistory", peer=chat)
    return [m.get("text", "") for m in got["messages"] if "action" not in m]


async def device_from(srv: Any, token: str, seq: int | None = None,
                      pts: dict[int, int] | None = None) -> Device:
    events: list[dict[str, Any]] = []
    dev = Device(srv.url, token, on_event=events.append)
    dev.events = events  # type: ignore[attr-defined]
    dev.seq, dev.pts = seq, dict(pts or {})
    await dev.connect()
    return dev


def actor(srv: Any, signed: dict[str, Any]) -> Actor:
    return Actor(signed["user"]["id"], signed["token"], Http(srv.url, signed["token"]))


@pytest.mark.skipif(os.environ.get("STEPPE_TEST_DATABASE") == "postgres",
                    reason="the test harness gives each PostgreSQL server start a new database")
async def test_scheduled_posts_go_out_on_time_and_survive_a_restart(tmp_path: Path, harness: Any
                                                                   ) -> None:
    start_server, stop_server = harness
    clock = ManualClock(T0)
    srv = start_server(tmp_path, clock=clock)
    people: list[Actor] = []
    try:
        admin = actor(srv, await srv.user("Admin"))
        fan = actor(srv, await srv.user("Fan"))
        friend = actor(srv, await srv.user("Friend"))
        people += [admin, fan, friend]
        chan = (await admin("channels.createChannel", title="Daily", broadcast=True))["id"]
        await admin("channels.updateUsername", peer=peer(chan), username="daily_news")
        await fan("channels.joinChannel", peer=peer(chan))
        dev = await device_from(srv, fan.token)

        at = {name: T0 + delay for name, delay in
              (("a", 100), ("b", 200), ("dm", 150), ("gone", 300), ("late", 400))}
        a = await admin("messages.sendMessage", peer=peer(chan), text="A", schedule_date=at["a"],
                        random_id=11)
        again = await admin("messages.sendMessage", peer=peer(chan), text="A",
                            schedule_date=at["a"], random_id=11)
        assert again["id"] == a["id"] and a["schedule_date"] == at["a"]
        b = await admin("messages.sendMessage", peer=peer(chan), text="B", schedule_date=at["b"])
        gone = await admin("messages.sendMessage", peer=peer(chan), text="gone",
                           schedule_date=at["gone"])
        await admin("messages.sendMessage", peer=peer(chan), text="late", schedule_date=at["late"])
        await admin("messages.sendMessage", peer={"user_id": friend.id}, text="see you",
                    schedule_date=at["dm"])
        await fails(admin("messages.sendMessage", peer=peer(chan), text="past",
                          schedule_date=T0 - 1), "SCHEDULE_DATE_INVALID", 400)
        await fails(fan("messages.sendMessage", peer=peer(chan), text="no",
                        schedule_date=at["a"]), "CHAT_WRITE_FORBIDDEN", 403)

        await admin("messages.editScheduledMessage", peer=peer(chan), id=b["id"], text="B edited")
        await admin("messages.deleteScheduledMessages", peer=peer(chan), ids=[gone["id"]])
        waiting = await admin("messages.getScheduledHistory", peer=peer(chan))
        assert [m["text"] for m in waiting["messages"]] == ["A", "B edited", "late"]
        assert (await fan("messages.getScheduledHistory", peer=peer(chan)))["messages"] == []

        clock.advance(99)
        tick(srv)
        assert await texts(fan, peer(chan)) == []  # not a second early
        clock.advance(1)
        tick(srv)
        assert await texts(fan, peer(chan)) == ["A"]
        await wait_for(lambda: any(e.get("type") == "new_message"
                                   and e["message"].get("from_scheduled") for e in dev.events))
        seq, pts = dev.seq, dict(dev.pts)
        await dev.close()
    finally:
        stop_server(srv)

    clock.advance(150)  # the server is down when B and the private message fall due
    srv = start_server(tmp_path, clock=clock)
    try:
        for who in people:
            await who.http.close()
            who.http = Http(srv.url, who.token)
        assert await texts(fan, peer(chan)) == ["B edited", "A"]  # sent at start-up
        dm = await friend("messages.getHistory", peer={"user_id": admin.id})
        assert [m["text"] for m in dm["messages"]] == ["see you"]
        dev = await device_from(srv, fan.token, seq, pts)  # a stale device catches up
        await wait_for(lambda: [e["message"]["text"] for e in dev.events
                                if e.get("type") == "new_message"] == ["B edited"])
        waiting = await admin("messages.getScheduledHistory", peer=peer(chan))
        assert [m["text"] for m in waiting["messages"]] == ["late"]
        clock.advance(150)
        tick(srv)
        assert await texts(fan, peer(chan)) == ["late", "B edited", "A"]
        assert (await admin("messages.getScheduledHistory", peer=peer(chan)))["messages"] == []
        await dev.close()
    finally:
        for who in people:
            await who.http.close()
        stop_server(srv)


async def test_send_scheduled_now_and_lost_rights(tmp_path: Path, harness: Any) -> None:
    start_server, stop_server = harness
    clock = ManualClock(T0)
    srv = start_server(tmp_path, clock=clock)
    people: list[Actor] = []
    try:
        owner = actor(srv, await srv.user("Owner"))
        helper = actor(srv, await srv.user("Helper"))
        people += [owner, helper]
        chan = (await owner("channels.createChannel", title="C", broadcast=True))["id"]
        await owner("channels.inviteToChannel", peer=peer(chan), user_ids=[helper.id])
        await owner("channels.editAdmin", peer=peer(chan), user_id=helper.id,
                    admin_rights={"post_messages": True})
        now = await helper("messages.sendMessage", peer=peer(chan), text="now",
                           schedule_date=T0 + 60)
        later = await helper("messages.sendMessage", peer=peer(chan), text="later",
                             schedule_date=T0 + 60)
        # Admins who may post share the channel's schedule.
        shared = await owner("messages.getScheduledHistory", peer=peer(chan))
        assert len(shared["messages"]) == 2
        sent = await owner("messages.sendScheduledMessages", peer=peer(chan), ids=[now["id"]])
        assert [m["text"] for m in sent] == ["now"] and sent[0]["from_scheduled"]
        # Demoted before its time: the post is dropped, not sent.
        await owner("channels.editAdmin", peer=peer(chan), user_id=helper.id, admin_rights={})
        clock.advance(60)
        tick(srv)
        history = await owner("messages.getHistory", peer=peer(chan))
        assert [m.get("text") for m in history["messages"] if "action" not in m] == ["now"]
        assert (await helper("messages.getScheduledHistory", peer=peer(chan)))["messages"] == []
        assert later["id"] != now["id"]
    finally:
        for who in people:
            await who.http.close()
        stop_server(srv)
