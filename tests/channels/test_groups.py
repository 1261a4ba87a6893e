"""Running a supergroup: upgrading a basic group, invite links and join requests, slow mode,
bans and restrictions with until-dates, the members list, the admin log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from channels.helpers import ALL_ADMIN, BAN, Cast, fails, peer
from steppe.store.bots import BotStore

T0 = 1_800_000_000


@pytest.fixture
async def clocked_cast(clocked_server: Any) -> AsyncIterator[tuple[Any, Any, Cast]]:
    server, clock = clocked_server
    c = Cast(server)
    yield server, clock, c
    await c.close()


async def test_basic_group_upgrade(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    owner, admin, member = (await cast.user("Owner"), await cast.user("Admin"),
                            await cast.user("Member"))
    basic = (await owner("messages.createChat", title="Club", user_ids=[admin.id, member.id]))["id"]
    first = await owner("messages.sendMessage", peer=peer(basic), text="first")
    second = await member("messages.sendMessage", peer=peer(basic), text="second")
    await owner("messages.sendReaction", peer=peer(basic), msg_id=second["id"], reaction=["🔥"])
    await member("messages.readHistory", peer=peer(basic))
    server.run(BotStore(server.app.core.store.database).set_role(basic, admin.id, "admin"))
    await fails(member("messages.migrateChat", peer=peer(basic)), "CHAT_ADMIN_REQUIRED", 403)

    new = await owner("messages.migrateChat", peer=peer(basic))
    assert new["kind"] == "supergroup" and new["title"] == "Club" and new["member_count"] == 3
    full = await member("channels.getFullChannel", peer=peer(new["id"]))
    assert full["info"]["migrated_from_chat_id"] == basic
    assert full["info"]["migrated_from_max_id"] == second["id"]
    history = (await member("messages.getHistory", peer=peer(new["id"])))["messages"]
    texts = {m["id"]: m.get("text") for m in history}
    assert texts[first["id"]] == "first" and texts[second["id"]] == "second"
    assert history[0]["action"]["type"] == "channel_migrate_from"
    copied = next(m for m in history if m["id"] == second["id"])
    assert copied["reactions"] == [{"reaction": "🔥", "count": 1}]
    admins = await member("channels.getParticipants", peer=peer(new["id"]), filter="admins")
    assert {p["user_id"]: p["status"] for p in admins["participants"]} == {
        owner.id: "creator", admin.id: "admin"}
    dialog = next(d for d in (await member("messages.getDialogs"))["dialogs"]
                  if d["chat"]["id"] == new["id"])
    assert dialog.get("read_inbox_max_id", 0) >= second["id"]
    # The old group is gone from everyone's list; nobody can write there.
    assert basic not in {d["chat"]["id"] for d in (await owner("messages.getDialogs"))["dialogs"]}
    await fails(owner("messages.sendMessage", peer=peer(basic), text="x"), "PEER_ID_INVALID")
    await fails(owner("messages.migrateChat", peer=peer(new["id"])), "CHAT_ID_INVALID")
    await admin("messages.sendMessage", peer=peer(new["id"]), text="after")


async def test_invite_links(clocked_cast) -> None:  # type: ignore[no-untyped-def]
    server, clock, cast = clocked_cast
    owner = await cast.user("Owner")
    users = [await cast.user(f"U{i}") for i in range(6)]
    group = (await owner("channels.createChannel", title="Private", megagroup=True))["id"]

    limited = await owner("messages.exportChatInvite", peer=peer(group), usage_limit=1,
                          title="one use")
    preview = await users[0]("messages.checkChatInvite", hash=limited["link"])
    assert preview["title"] == "Private" and preview["member_count"] == 1
    joined = await users[0]("messages.importChatInvite", hash=limited["link"])
    assert joined["id"] == group
    await fails(users[1]("messages.importChatInvite", hash=limited["link"]), "INVITE_HASH_EXPIRED")
    await fails(users[0]("messages.importChatInvite", hash="nope"), "INVITE_HASH_INVALID")

    expiring = await owner("messages.exportChatInvite", peer=peer(group), expire_date=T0 + 3600)
    await fails(owner("messages.exportChatInvite", peer=peer(group), expire_date=T0 - 1),
                "EXPIRE_DATE_INVALID")
    clock.advance(3600)
    await fails(users[1]("messages.importChatInvite", hash=expiring["link"]), "INVITE_HASH_EXPIRED")

    revoked = await owner("messages.exportChatInvite", peer=peer(group))
    await owner("messages.editExportedChatInvite", peer=peer(group), link=revoked["link"],
                revoked=True)
    await fails(users[1]("messages.importChatInvite", hash=revoked["link"]), "INVITE_HASH_EXPIRED")
    listed = await owner("messages.getExportedChatInvites", peer=peer(group))
    assert {x["link"] for x in listed} == {limited["link"], expiring["link"]}
    assert next(x for x in listed if x["link"] == limited["link"])["usage"] == 1
    gone = await owner("messages.getExportedChatInvites", peer=peer(group), revoked=True)
    assert [x["link"] for x in gone] == [revoked["link"]]

    approval = await owner("messages.exportChatInvite", peer=peer(group), request_needed=True)
    for u in users[1:4]:
        await fails(u("messages.importChatInvite", hash=approval["link"], about="let me in"),
                    "INVITE_REQUEST_SENT")
    await fails(users[1]("messages.getHistory", peer=peer(group)), "PEER_ID_INVALID")
    waiting = await owner("messages.getChatInviteImporters", peer=peer(group), requested=True)
    assert {r["user_id"] for r in waiting["importers"]} == {u.id for u in users[1:4]}
    await owner("messages.hideChatJoinRequest", peer=peer(group), user_id=users[1].id,
                approved=True)
    await owner("messages.hideChatJoinRequest", peer=peer(group), user_id=users[2].id,
                approved=False)
    await fails(owner("messages.hideChatJoinRequest", peer=peer(group), user_id=users[2].id,
                      approved=True), "HIDE_REQUESTER_MISSING")
    await users[1]("messages.getHistory", peer=peer(group))
    await fails(users[2]("messages.getHistory", peer=peer(group)), "PEER_ID_INVALID")
    waiting = await owner("messages.getChatInviteImporters", peer=peer(group), requested=True)
    assert [r["user_id"] for r in waiting["importers"]] == [users[3].id]
    importers = await owner("messages.getChatInviteImporters", peer=peer(group),
                            link=limited["link"])
    assert [r["user_id"] for r in importers["importers"]] == [users[0].id]
    await fails(users[0]("messages.exportChatInvite", peer=peer(group)), "CHAT_ADMIN_REQUIRED")
    # The supergroup shows who came in how.
    history = (await owner("messages.getHistory", peer=peer(group)))["messages"]
    assert {m["action"]["type"] for m in history if "action" in m} >= {"chat_joined_by_link"}


async def test_slow_mode(clocked_cast) -> None:  # type: ignore[no-untyped-def]
    server, clock, cast = clocked_cast
    owner, member = await cast.user("Owner"), await cast.user("Member")
    group = (await owner("channels.createChannel", title="Busy", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(group), user_ids=[member.id])
    await fails(owner("channels.toggleSlowMode", peer=peer(group), seconds=7), "SECONDS_INVALID")
    await owner("channels.toggleSlowMode", peer=peer(group), seconds=60)
    await member("messages.sendMessage", peer=peer(group), text="one")
    clock.advance(20)
    err = await fails(member("messages.sendMessage", peer=peer(group), text="two"),
                      "SLOWMODE_WAIT_40", 420)
    assert err.retry_after == 40
    await owner("messages.sendMessage", peer=peer(group), text="admins never wait")
    await owner("messages.sendMessage", peer=peer(group), text="never")
    clock.advance(40)
    await member("messages.sendMessage", peer=peer(group), text="two")
    chan = (await owner("channels.createChannel", title="C", broadcast=True))["id"]
    await fails(owner("channels.toggleSlowMode", peer=peer(chan), seconds=10),
                "MEGAGROUP_REQUIRED")


async def test_bans_block_rejoining_until_lifted_or_expired(clocked_cast
                                                            ) -> None:  # type: ignore[no-untyped-def]
    server, clock, cast = clocked_cast
    owner, troll, quiet = await cast.user("Owner"), await cast.user("Troll"), await cast.user("Q")
    group = (await owner("channels.createChannel", title="Public", megagroup=True))["id"]
    await owner("channels.updateUsername", peer=peer(group), username="public_grp")
    link = (await owner("messages.exportChatInvite", peer=peer(group)))["link"]
    await troll("channels.joinChannel", peer=peer(group))
    await quiet("messages.importChatInvite", hash=link)

    await owner("channels.editBanned", peer=peer(group), user_id=troll.id, banned_rights=BAN)
    await fails(troll("messages.getHistory", peer=peer(group)), "PEER_ID_INVALID")
    await fails(troll("channels.getFullChannel", peer=peer(group)), "CHANNEL_PRIVATE")
    await fails(troll("channels.joinChannel", peer=peer(group)), "USER_BANNED_IN_CHANNEL")
    await fails(troll("messages.importChatInvite", hash=link), "USER_BANNED_IN_CHANNEL")
    banned = await owner("channels.getParticipants", peer=peer(group), filter="banned")
    assert [p["user_id"] for p in banned["participants"]] == [troll.id]
    await owner("channels.editBanned", peer=peer(group), user_id=troll.id, banned_rights={})
    await troll("channels.joinChannel", peer=peer(group))

    # A ban for an hour ends by itself.
    await owner("channels.editBanned", peer=peer(group), user_id=troll.id, banned_rights=BAN,
                until_date=T0 + 3600)
    await fails(troll("messages.importChatInvite", hash=link), "USER_BANNED_IN_CHANNEL")
    clock.advance(3601)
    await troll("messages.importChatInvite", hash=link)

    # A restriction with an until-date, and one the member's own.
    now = T0 + 3601
    await owner("channels.editBanned", peer=peer(group), user_id=quiet.id,
                banned_rights={"send_messages": True}, until_date=now + 600)
    restricted = await owner("channels.getParticipants", peer=peer(group), filter="restricted")
    assert [p["user_id"] for p in restricted["participants"]] == [quiet.id]
    await fails(quiet("messages.sendMessage", peer=peer(group), text="hi"),
                "CHAT_WRITE_FORBIDDEN", 403)
    await troll("messages.sendMessage", peer=peer(group), text="hi")
    clock.advance(601)
    await quiet("messages.sendMessage", peer=peer(group), text="hi")
    # Default rights bind every member; the admins are above them.
    await owner("messages.editChatDefaultBannedRights", peer=peer(group),
                banned_rights={"send_messages": True})
    await fails(quiet("messages.sendMessage", peer=peer(group), text="x"), "CHAT_WRITE_FORBIDDEN")
    await owner("messages.sendMessage", peer=peer(group), text="admins may")
    await fails(owner("channels.editBanned", peer=peer(group), user_id=owner.id,
                      banned_rights=BAN), "USER_ADMIN_INVALID")


async def test_members_list_and_admins(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    owner = await cast.user("Owner")
    people = [await cast.user(f"Person{i}") for i in range(5)]
    bot = await cast.bot("Helper")
    group = (await owner("channels.createChannel", title="G", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(group),
                user_ids=[p.id for p in people] + [bot.id])
    await owner("channels.editAdmin", peer=peer(group), user_id=people[0].id,
                admin_rights={"ban_users": True, "add_admins": True}, rank="Mod")
    got = await owner("channels.getParticipants", peer=peer(group), limit=3)
    assert got["count"] == 7 and len(got["participants"]) == 3
    rest = await owner("channels.getParticipants", peer=peer(group), offset=3, limit=10)
    seen = {p["user_id"] for p in got["participants"] + rest["participants"]}
    assert seen == {owner.id, bot.id, *(p.id for p in people)}
    admins = await people[1]("channels.getParticipants", peer=peer(group), filter="admins")
    assert {p["user_id"]: p.get("rank", "") for p in admins["participants"]} == {
        owner.id: "", people[0].id: "Mod"}
    bots = await people[1]("channels.getParticipants", peer=peer(group), filter="bots")
    assert [p["user_id"] for p in bots["participants"]] == [bot.id]
    found = await people[1]("channels.getParticipants", peer=peer(group), filter="search",
                            q="person3")
    assert [p["user_id"] for p in found["participants"]] == [people[3].id]
    # An admin grants only rights it has, and edits only the admins it made.
    mod = people[0]
    await fails(mod("channels.editAdmin", peer=peer(group), user_id=people[1].id,
                    admin_rights={"pin_messages": True}), "RIGHT_FORBIDDEN", 403)
    await mod("channels.editAdmin", peer=peer(group), user_id=people[1].id,
              admin_rights={"ban_users": True})
    await owner("channels.editAdmin", peer=peer(group), user_id=people[2].id,
                admin_rights=ALL_ADMIN)
    await fails(mod("channels.editAdmin", peer=peer(group), user_id=people[2].id,
                    admin_rights={}), "CHAT_ADMIN_REQUIRED", 403)
    await fails(mod("channels.editAdmin", peer=peer(group), user_id=owner.id,
                    admin_rights={}), "USER_CREATOR")
    await mod("channels.editAdmin", peer=peer(group), user_id=people[1].id, admin_rights={})
    me = await people[1]("channels.getParticipant", peer=peer(group), user_id=people[1].id)
    assert me["status"] == "member"
    await fails(owner("channels.leaveChannel", peer=peer(group)), "USER_CREATOR")
    await people[4]("channels.leaveChannel", peer=peer(group))
    await fails(owner("channels.getParticipant", peer=peer(group), user_id=people[4].id),
                "USER_NOT_PARTICIPANT")


async def test_admin_log(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    owner, mod, user = await cast.user("Owner"), await cast.user("Mod"), await cast.user("User")
    group = (await owner("channels.createChannel", title="Logged", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(group), user_ids=[mod.id, user.id])
    await owner("channels.editAdmin", peer=peer(group), user_id=mod.id,
                admin_rights={"delete_messages": True, "ban_users": True, "pin_messages": True})
    bad = await user("messages.sendMessage", peer=peer(group), text="spam spam")
    await mod("messages.deleteMessages", peer=peer(group), ids=[bad["id"]])
    await mod("channels.editBanned", peer=peer(group), user_id=user.id, banned_rights=BAN)
    await owner("channels.editTitle", peer=peer(group), title="Logged!")
    await owner("messages.editChatAbout", peer=peer(group), about="rules")
    ok = await owner("messages.sendMessage", peer=peer(group), text="pinned")
    await mod("messages.updatePinnedMessage", peer=peer(group), id=ok["id"])
    await owner("channels.toggleSlowMode", peer=peer(group), seconds=10)
    await owner("messages.exportChatInvite", peer=peer(group))

    log = await owner("channels.getAdminLog", peer=peer(group))
    actions = [e["action"] for e in log["events"]]
    for kind in ("delete", "ban", "leave", "info", "pin", "settings", "invite", "admin", "join"):
        assert kind in actions, kind
    deleted = next(e for e in log["events"] if e["action"] == "delete")
    assert deleted["user_id"] == mod.id and deleted["data"]["message"]["text"] == "spam spam"
    ban = next(e for e in log["events"] if e["action"] == "ban")
    assert ban["data"]["user_id"] == user.id
    by_mod = await owner("channels.getAdminLog", peer=peer(group), admins=[mod.id])
    assert {e["action"] for e in by_mod["events"]} == {"join", "delete", "ban", "leave", "pin"}
    only = await owner("channels.getAdminLog", peer=peer(group), events=["info"])
    assert [e["data"]["field"] for e in only["events"]] == ["about", "title"]
    page = await owner("channels.getAdminLog", peer=peer(group), limit=2)
    older = await owner("channels.getAdminLog", peer=peer(group), max_id=page["events"][-1]["id"])
    assert len(page["events"]) + len(older["events"]) == len(log["events"])
    text = await owner("channels.getAdminLog", peer=peer(group), q="spam")
    assert [e["action"] for e in text["events"]] == ["delete"]
