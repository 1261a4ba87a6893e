"""Activity, sign-ups and messages counted live, and the operator's API with its access rules."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from steppe.client import ApiError, Http
from steppe.domain import stats as dst
from steppe.services.stats import StatsService

DAY = 86400


async def _raises(coro: Any, type_: str, code: int = 400) -> None:
    with pytest.raises(ApiError) as info:
        await coro
    assert (info.value.type, info.value.code) == (type_, code), info.value


def _flush(server: Any) -> None:
    server.run(server.app.services.stats.flush())


def _grant(server: Any, user_id: int) -> None:
    server.run(server.app.services.stats.set_operator(str(user_id), True))


async def test_active_once_per_day_and_month(clocked_server: Any) -> None:
    server, clock = clocked_server  # 2027-01-15 08:00 UTC
    month = dst.month_str(dst.month_of_day(clock.now() // DAY))
    kz = [await server.user(f"K{i}") for i in range(3)]
    ru = await server.user("Ivan", phone="+79161234567")
    boss = await server.user("Boss", phone="+77475550000")
    _grant(server, boss["user"]["id"])
    hs = {u["user"]["id"]: Http(server.url, u["token"]) for u in [*kz, ru, boss]}
    op = hs[boss["user"]["id"]]

    for _ in range(3):  # many requests, one day: each user counted once
        for h in hs.values():
            await h.call("updates.getState")
    _flush(server)
    report = await op.call("stats.getReport", month=month)
    rows = {r["country"]: r for r in report["countries"]}
    # DAU is the average over the month's days so far (15 of January's).
    assert (rows["KZ"]["mau"], rows["KZ"]["dau"], rows["KZ"]["signups"]) == (4, round(4 / 15), 4)
    assert (rows["RU"]["mau"], rows["RU"]["signups"], rows["RU"]["growth_pct"]) == (1, 1, None)
    assert report["total"]["mau"] == 5 and report["days"] == 15

    clock.advance(DAY)  # the next day: two of the Kazakh users come back, twice each
    for h in [hs[kz[0]["user"]["id"]], hs[kz[1]["user"]["id"]]] * 2:
        await h.call("updates.getState")
    _flush(server)
    daily = await op.call("stats.getDailyActive", month=month, country="kz")
    assert daily["active"]["KZ"][14:16] == [4, 2] and daily["signups"]["KZ"][14] == 4
    report = await op.call("stats.getReport", month=month)
    kz_row = next(r for r in report["countries"] if r["country"] == "KZ")
    assert kz_row["mau"] == 4 and kz_row["dau"] == round(6 / 16)
    history = await op.call("stats.getMauHistory", from_month="2026-11", to_month=month)
    assert history["months"] == ["2026-11", "2026-12", "2027-01"]
    assert history["countries"]["KZ"] == [0, 0, 4] and history["total"] == [0, 0, 5]

    clock.advance(20 * DAY)  # February: a new month counts everyone again, once
    await hs[kz[2]["user"]["id"]].call("updates.getState")
    await op.call("updates.getState")
    _flush(server)
    feb = await op.call("stats.getActiveUsers", month="2027-02")
    assert [(r["country"], r["mau"], r["signups"]) for r in feb["countries"]] == [("KZ", 2, 0)]
    assert "messages" not in feb
    for h in hs.values():
        await h.close()


def test_the_request_hook_only_touches_memory() -> None:
    stats = StatsService(SimpleNamespace(store=SimpleNamespace(database=None)))  # type: ignore[arg-type]
    day = 20_400
    for _ in range(1000):
        for user_id in (1, 2, 3):
            stats.note_active(user_id, day * DAY + 5)
    assert stats._pending == [(1, day), (2, day), (3, day)]
    stats.note_active(2, (day + 1) * DAY)  # a new day starts a new set
    stats.note_active(2, (day + 1) * DAY + 99)
    assert stats._pending[3:] == [(2, day + 1)] and stats._today == {2}


async def test_messages_per_day_by_chat_kind(clocked_server: Any) -> None:
    server, clock = clocked_server
    alice, bob, carol = [await server.user(n) for n in ("Alice", "Bob", "Carol")]
    _grant(server, alice["user"]["id"])
    a, b = Http(server.url, alice["token"]), Http(server.url, bob["token"])
    group = await a.call("messages.createChat", title="G", user_ids=[bob["user"]["id"],
                                                                     carol["user"]["id"]])
    for i in range(3):
        await a.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]}, text=f"p{i}")
    for i in range(5):
        await b.call("messages.sendMessage", peer={"chat_id": group["id"]}, text=f"g{i}")
    await a.call("messages.editChatTitle", peer={"chat_id": group["id"]}, title="G2")  # service
    _flush(server)
    month = dst.month_str(dst.month_of_day(clock.now() // DAY))
    got = await a.call("stats.getMessageStats", month=month)
    assert got["total"] == {"group": 5, "private": 3}
    assert got["per_day"] == {"group": round(5 / 15), "private": round(3 / 15)}
    day = next(d for d in got["days"] if d["date"] == dst.day_str(clock.now() // DAY))
    assert day == {"date": dst.day_str(clock.now() // DAY), "group": 5, "private": 3}
    _flush(server)  # drained: nothing is counted twice
    assert (await a.call("stats.getMessageStats", month=month))["total"] == {"group": 5,
                                                                             "private": 3}
    for h in (a, b):
        await h.close()


async def test_statistics_are_for_operators_only(server: Any) -> None:
    alice, bob = await server.user("Alice"), await server.user("Bob")
    a, b = Http(server.url, alice["token"]), Http(server.url, bob["token"])
    assert await b.call("stats.getRole") == {"operator": False}
    for method, params in [("stats.getReport", {"month": "2026-10"}),
                           ("stats.getActiveUsers", {"month": "2026-10"}),
                           ("stats.getMauHistory", {"from_month": "2026-01", "to_month": "2026-10"}),
                           ("stats.getDailyActive", {"month": "2026-10"}),
                           ("stats.getMessageStats", {"month": "2026-10"}),
                           ("stats.getReport", {"month": "not a month"})]:
        await _raises(b.call(method, **params), "OPERATOR_REQUIRED", 403)
    anonymous = Http(server.url)
    await _raises(anonymous.call("stats.getReport", month="2026-10"), "AUTH_KEY_UNREGISTERED", 401)
    await anonymous.close()

    _grant(server, alice["user"]["id"])
    assert await a.call("stats.getRole") == {"operator": True}
    for bad in ("2026-13", "2026-1", "26-10", "2026/10", ""):
        await _raises(a.call("stats.getReport", month=bad), "MONTH_INVALID")
    await _raises(a.call("stats.getReport", month="2026-10", countries=["XX"]), "COUNTRY_INVALID")
    await _raises(a.call("stats.getDailyActive", month="2026-10", country="Kazakhstan"),
                  "COUNTRY_INVALID")
    await _raises(a.call("stats.getMauHistory", from_month="2026-10", to_month="2026-01"),
                  "MONTH_RANGE_INVALID")
    await _raises(a.call("stats.getReport", month=202610), "INPUT_INVALID")
    await _raises(b.call("stats.getBroadcastStats", chat_id=10**9), "PEER_ID_INVALID")
    report = await a.call("stats.getReport", month="2026-10", countries=["kz"])
    assert report["countries"] == [] and report["total"]["mau"] == 0

    server.run(server.app.services.stats.set_operator(str(alice["user"]["id"]), False))
    await _raises(a.call("stats.getReport", month="2026-10"), "OPERATOR_REQUIRED", 403)
    for h in (a, b):
        await h.close()


async def test_a_websocket_open_for_days_counts_each_day(clocked_server: Any) -> None:
    server, clock = clocked_server
    alice, boss = await server.user("Alice"), await server.user("Boss")
    _grant(server, boss["user"]["id"])
    dev = await server.device(alice["token"])  # authorizes once, then only frames
    today = clock.now() // DAY
    for _ in range(2):
        clock.advance(DAY)
        await dev.call("updates.getState")
    _flush(server)
    op = Http(server.url, boss["token"])
    daily = await op.call("stats.getDailyActive", month=dst.month_str(dst.month_of_day(today)))
    first = dst.days_in(dst.month_of_day(today)).start
    assert daily["active"]["KZ"][today - first:today - first + 3] == [1, 1, 1]
    await dev.close()
    await op.close()
