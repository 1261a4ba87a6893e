"""A plain message to a supergroup or channel seen before is checked and stored by one write
(`ChannelMessages.post_plain`): the sender's membership and rights are read by the write itself.
These tests change the rights between sends and check that every refusal is the same as on the
full path, that the settings the one write does not handle (signatures, a discussion group, slow
mode) still apply, and that a retried random_id stores nothing twice.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from channels.helpers import ALL_ADMIN, BAN, Cast, fails, peer
from steppe.domain.channels import BannedRights
from steppe.services.chats import Peer


@pytest.fixture
def one_write(server: Any) -> Iterator[list[bool]]:
    """Whether each plain send to a supergroup or channel was stored by the one write (True) or
    handed to the full path (False): a spy around the real store method."""
    posts = server.app.services.channels.messages.posts
    real = posts.post_checked
    seen: list[bool] = []

    async def spy(*args: Any, **kwargs: Any) -> Any:
        got = await real(*args, **kwargs)
        seen.append(got is not None)
        return got

    posts.post_checked = spy
    yield seen
    posts.post_checked = real


async def _history(actor: Any, chat: int) -> list[dict[str, Any]]:
    got = await actor("messages.getHistory", peer=peer(chat), limit=50)
    return [m for m in got["messages"] if "action" not in m]


async def test_channel_posts_in_one_write_keep_the_channels_rules(cast: Cast,
                                                                  one_write: list[bool]) -> None:
    owner, admin, reader = [await cast.user(n) for n in ("Owner", "Admin", "Reader")]
    chat = (await owner("channels.createChannel", title="News", broadcast=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(chat), user_ids=[admin.id, reader.id])
    await owner("channels.editAdmin", peer=peer(chat), user_id=admin.id,
                admin_rights={"post_messages": True})

    first = await owner("messages.sendMessage", peer=peer(chat), text="one", random_id=1)
    assert one_write == []  # a chat not seen yet takes the full path (and is remembered)
    second = await owner("messages.sendMessage", peer=peer(chat), text="two", random_id=2)
    assert one_write == [True]
    assert second["id"] == first["id"] + 1
    assert second["sender_id"] == first["sender_id"] == -chat  # a post is the channel's
    assert second["views"] == first["views"] == 0

    # A retry of the same send returns the stored post and stores nothing.
    again = await owner("messages.sendMessage", peer=peer(chat), text="two", random_id=2)
    assert again["id"] == second["id"]
    assert [m["text"] for m in await _history(reader, chat)] == ["two", "one"]

    # An admin who may post posts; demoted, the next post is refused as on the full path.
    await admin("messages.sendMessage", peer=peer(chat), text="by the admin")
    await owner("channels.editAdmin", peer=peer(chat), user_id=admin.id, admin_rights={})
    await fails(admin("messages.sendMessage", peer=peer(chat), text="no more"),
                "CHAT_WRITE_FORBIDDEN", 403)
    await fails(reader("messages.sendMessage", peer=peer(chat), text="me too"),
                "CHAT_WRITE_FORBIDDEN", 403)

    # Signatures are the full path's: the post carries its author's name.
    await owner("channels.toggleSignatures", peer=peer(chat), enabled=True)
    signed = await owner("messages.sendMessage", peer=peer(chat), text="signed")
    assert signed["post_author"] == "Owner"
    assert one_write.count(True) == 2  # "two" and "by the admin"
    assert [m["text"] for m in await _history(reader, chat)] == [
        "signed", "by the admin", "two", "one"]


async def test_channel_post_is_copied_to_its_discussion_group(cast: Cast,
                                                              one_write: list[bool]) -> None:
    owner = await cast.user("Owner")
    chat = (await owner("channels.createChannel", title="News", broadcast=True))["id"]
    group = (await owner("channels.createChannel", title="Talk", megagroup=True))["id"]
    await owner("messages.sendMessage", peer=peer(chat), text="before")
    await owner("channels.setDiscussionGroup", broadcast=peer(chat), group=peer(group))
    post = await owner("messages.sendMessage", peer=peer(chat), text="discuss this")
    assert one_write == [False]  # tried, handed to the full path, which copies it
    assert post["replies"]["chat_id"] == group
    assert "discuss this" in [m["text"] for m in await _history(owner, group)]


async def test_supergroup_sends_in_one_write_check_rights_at_the_write(
        cast: Cast, one_write: list[bool]) -> None:
    owner, member = await cast.user("Owner"), await cast.user("Member")
    chat = (await owner("channels.createChannel", title="Club", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(chat), user_ids=[member.id])
    await member("messages.sendMessage", peer=peer(chat), text="hello")
    sent = await member("messages.sendMessage", peer=peer(chat), text="again", random_id=7)
    assert sent["sender_id"] == member.id
    assert one_write == [True]
    assert (await member("messages.sendMessage", peer=peer(chat), text="again",
                         random_id=7))["id"] == sent["id"]

    await owner("channels.editBanned", peer=peer(chat), user_id=member.id,
                banned_rights={"send_links": True})
    await fails(member("messages.sendMessage", peer=peer(chat), text="see https://example.com"),
                "CHAT_SEND_LINKS_FORBIDDEN", 403)
    await member("messages.sendMessage", peer=peer(chat), text="plain is fine")

    await owner("channels.editBanned", peer=peer(chat), user_id=member.id,
                banned_rights={"send_messages": True})
    await fails(member("messages.sendMessage", peer=peer(chat), text="muted"),
                "CHAT_WRITE_FORBIDDEN", 403)
    await owner("channels.editBanned", peer=peer(chat), user_id=member.id, banned_rights=BAN)
    await fails(member("messages.sendMessage", peer=peer(chat), text="banned"),
                "PEER_ID_INVALID", 400)

    # Slow mode is the full path's: the second message within the wait is refused.
    other = await cast.user("Other")
    await owner("channels.inviteToChannel", peer=peer(chat), user_ids=[other.id])
    await owner("channels.toggleSlowMode", peer=peer(chat), seconds=60)
    await other("messages.sendMessage", peer=peer(chat), text="first")
    err = await fails(other("messages.sendMessage", peer=peer(chat), text="second"),
                      "SLOWMODE_WAIT_60", 420)
    assert err.code == 420
    # An admin never waits, and an admin's sends go through the one write again once slow
    # mode is off.
    await owner("channels.editAdmin", peer=peer(chat), user_id=other.id, admin_rights=ALL_ADMIN)
    await owner("channels.toggleSlowMode", peer=peer(chat), seconds=0)
    before = one_write.count(True)
    await other("messages.sendMessage", peer=peer(chat), text="third")
    assert one_write.count(True) == before + 1
    texts = [m["text"] for m in await _history(owner, chat)]
    assert texts == ["third", "first", "plain is fine", "again", "hello"]


@pytest.mark.skipif(os.environ.get("STEPPE_TEST_DATABASE") != "postgres",
                    reason="SQLite's writes never overlap; on PostgreSQL another node's can")
@pytest.mark.parametrize("kind", ["supergroup", "group", "group, a reply", "supergroup, a reply"])
async def test_a_send_racing_a_removal_is_refused_on_postgres(server: Any, cast: Cast,
                                                              one_write: list[bool],
                                                              kind: str) -> None:
    """A member is removed by a transaction (another node's, say) that holds the chat's row
    while the member's send arrives: the send waits for it and is refused, rather than landing
    after the removal with the membership read before it (a basic group's send checks it in
    the statement that takes the pts, a supergroup's in the one that reads the rights). A reply
    takes the full path, whose membership read comes before the write: the write checks again."""
    owner, member = await cast.user("Owner"), await cast.user("Member")
    if kind.startswith("supergroup"):
        chat = (await owner("channels.createChannel", title="Club", megagroup=True))["id"]
        await owner("channels.inviteToChannel", peer=peer(chat), user_ids=[member.id])
    else:
        chat = (await owner("messages.createChat", title="Club", user_ids=[member.id]))["id"]
    hello = await member("messages.sendMessage", peer=peer(chat), text="hello")  # known chat
    extra = {"reply_to": hello["id"]} if kind.endswith("a reply") else {}

    conn = await asyncpg.connect(server.app.core.store.database.dsn)
    try:
        removal = conn.transaction()
        await removal.start()
        await conn.execute("DELETE FROM members WHERE chat_id = $1 AND user_id = $2",
                           chat, member.id)
        await conn.execute("UPDATE chats SET member_count = member_count - 1 WHERE id = $1",
                           chat)
        send = asyncio.ensure_future(member("messages.sendMessage", peer=peer(chat),
                                            text="racing", **extra))
        for _ in range(500):  # until the send waits for the chat's row
            if await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE"
                                   " datname = current_database() AND wait_event_type = 'Lock'"):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the send never waited for the removal")
        await removal.commit()
        await fails(send, "PEER_ID_INVALID", 400)
    finally:
        await conn.close()
    assert one_write == ([False] if kind == "supergroup" else [])  # a reply: the full path
    texts = [m["text"] for m in await _history(owner, chat)]
    assert texts == ["hello"]


@pytest.mark.parametrize("change", ["the about text", "a mute"])
async def test_a_change_between_a_full_path_sends_checks_and_its_write(server: Any, cast: Cast,
                                                                       change: str) -> None:
    """A reply takes the full path: its checks read the sender's standing, then its write reads
    it again. A change that lands in between (made here once the checks are done) makes the
    send check again: a harmless one, and it goes through; a mute, and it is refused."""
    owner, member = await cast.user("Owner"), await cast.user("Member")
    chat = (await owner("channels.createChannel", title="Club", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(chat), user_ids=[member.id])
    hello = await member("messages.sendMessage", peer=peer(chat), text="hello")
    posts = server.app.services.channels.messages.posts
    real = posts.post
    writes: list[int] = []

    async def change_then_write(plan: Any) -> Any:
        writes.append(plan.template.chat_id)
        if len(writes) == 1:  # between this send's checks and its write, once
            service = server.app.services.channels.channels  # on the server's own loop
            if change == "a mute":
                await service.edit_banned(owner.id, Peer(chat_id=chat), member.id,
                                          BannedRights(send_messages=True), 0)
            else:
                await service.edit_about(owner.id, Peer(chat_id=chat), "changed meanwhile")
        return await real(plan)

    posts.post = change_then_write
    try:
        send = member("messages.sendMessage", peer=peer(chat), text="a reply",
                      reply_to=hello["id"])
        if change == "a mute":
            await fails(send, "CHAT_WRITE_FORBIDDEN", 403)
        else:
            assert (await send)["reply_to"] == hello["id"]
    finally:
        posts.post = real
    # The first write found the change and wrote nothing; checked again, the send was written
    # (a harmless change) or refused before any write (the mute).
    assert len(writes) == (1 if change == "a mute" else 2)
    texts = [m["text"] for m in await _history(owner, chat) if m.get("text")]
    assert texts == (["hello"] if change == "a mute" else ["a reply", "hello"])
