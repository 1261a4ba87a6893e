"""What posts and messages carry: reactions, polls and quizzes, comments with reply counts,
views and forwards, several pins, forum topics, signatures, the public preview."""

from __future__ import annotations

from channels.helpers import Cast, fails, peer, wait_for


async def test_reactions_in_every_kind_of_chat(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    a, b, c = await cast.user("A"), await cast.user("B"), await cast.user("C")
    dm = await a("messages.sendMessage", peer={"user_id": b.id}, text="hi")
    got = await b("messages.sendReaction", peer={"user_id": a.id}, msg_id=dm["id"],
                  reaction=["❤"])
    assert got["reactions"] == [{"reaction": "❤", "count": 1}] and got["chosen"] == ["❤"]
    await fails(b("messages.sendReaction", peer={"user_id": a.id}, msg_id=dm["id"],
                  reaction=["❤", "👍"]), "REACTIONS_TOO_MANY")
    await fails(b("messages.sendReaction", peer={"user_id": a.id}, msg_id=dm["id"],
                  reaction=["🦖"]), "REACTION_INVALID")

    group = (await a("messages.createChat", title="Basic", user_ids=[b.id, c.id]))["id"]
    msg = await a("messages.sendMessage", peer=peer(group), text="vote with emoji")
    await a("messages.setChatAvailableReactions", peer=peer(group), reactions=["👍", "👎"],
            limit=2)
    await fails(b("messages.setChatAvailableReactions", peer=peer(group), reactions=None),
                "CHAT_ADMIN_REQUIRED", 403)
    await fails(b("messages.sendReaction", peer=peer(group), msg_id=msg["id"], reaction=["❤"]),
                "REACTION_INVALID")
    await b("messages.sendReaction", peer=peer(group), msg_id=msg["id"], reaction=["👍", "👎"])
    await c("messages.sendReaction", peer=peer(group), msg_id=msg["id"], reaction=["👍"])
    counts = await a("messages.getMessagesReactions", peer=peer(group), ids=[msg["id"]])
    assert counts == [{"id": msg["id"], "reactions": [{"reaction": "👍", "count": 2},
                                                      {"reaction": "👎", "count": 1}],
                       "chosen": []}]
    who = await a("messages.getMessageReactionsList", peer=peer(group), id=msg["id"], limit=2)
    assert len(who["reactions"]) == 2 and who["next_offset"]
    more = await a("messages.getMessageReactionsList", peer=peer(group), id=msg["id"],
                   offset=who["next_offset"])
    everyone = {(r["user_id"], r["reaction"]) for r in who["reactions"] + more["reactions"]}
    assert everyone == {(b.id, "👍"), (b.id, "👎"), (c.id, "👍")}
    await b("messages.sendReaction", peer=peer(group), msg_id=msg["id"], reaction=[])
    history = (await a("messages.getHistory", peer=peer(group)))["messages"]
    assert next(m for m in history if m["id"] == msg["id"])["reactions"] == [
        {"reaction": "👍", "count": 1}]


async def test_polls_and_quizzes(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    owner, x, y = await cast.user("Owner"), await cast.user("X"), await cast.user("Y")
    group = (await owner("channels.createChannel", title="Polls", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(group), user_ids=[x.id, y.id])
    watcher = await server.device(y.token)

    quiz = await owner("messages.sendPoll", peer=peer(group), poll={
        "question": "2+2?", "answers": ["3", "4", "5"], "quiz": True, "correct_answer": 1,
        "explanation": "arithmetic"})
    assert "correct_option_id" not in quiz["poll"] and quiz["poll"]["type"] == "quiz"
    before = await y("messages.getPollResults", peer=peer(group), msg_id=quiz["id"])
    assert "correct_option_id" not in before["poll"]
    voted = await x("messages.sendVote", peer=peer(group), msg_id=quiz["id"], options=[0])
    assert voted["poll"]["correct_option_id"] == 1 and voted["poll"]["explanation"] == "arithmetic"
    await fails(x("messages.sendVote", peer=peer(group), msg_id=quiz["id"], options=[1]),
                "REVOTE_NOT_ALLOWED")
    await wait_for(lambda: any(e.get("type") == "message_poll" for e in watcher.events))
    live = [e for e in watcher.events if e.get("type") == "message_poll"][-1]["poll"]
    assert live["total_voter_count"] == 1 and "correct_option_id" not in live
    await fails(owner("messages.sendPoll", peer=peer(group), poll={
        "question": "?", "answers": ["a", "b"], "quiz": True}), "QUIZ_CORRECT_ANSWERS_EMPTY")
    await fails(x("messages.closePoll", peer=peer(group), msg_id=quiz["id"]),
                "MESSAGE_AUTHOR_REQUIRED", 403)
    closed = await owner("messages.closePoll", peer=peer(group), msg_id=quiz["id"])
    assert closed["poll"]["is_closed"]
    seen = await y("messages.getPollResults", peer=peer(group), msg_id=quiz["id"])
    assert seen["poll"]["correct_option_id"] == 1  # closed: everyone sees the answer
    await fails(y("messages.sendVote", peer=peer(group), msg_id=quiz["id"], options=[1]),
                "MESSAGE_POLL_CLOSED")

    multi = await owner("messages.sendPoll", peer=peer(group), poll={
        "question": "Days?", "answers": ["mon", "tue", "wed"], "multiple_choice": True,
        "public_voters": True})
    await x("messages.sendVote", peer=peer(group), msg_id=multi["id"], options=[0, 2])
    await y("messages.sendVote", peer=peer(group), msg_id=multi["id"], options=[2])
    await fails(y("messages.sendVote", peer=peer(group), msg_id=multi["id"], options=[9]),
                "OPTION_INVALID")
    result = await owner("messages.getPollResults", peer=peer(group), msg_id=multi["id"])
    assert [o.get("voter_count", 0) for o in result["poll"]["options"]] == [1, 0, 2]
    assert result["poll"]["total_voter_count"] == 2
    await fails(owner("messages.getPollVotes", peer=peer(group), id=multi["id"]),
                "POLL_VOTE_REQUIRED")
    votes = await x("messages.getPollVotes", peer=peer(group), id=multi["id"], option=2)
    assert {v["user_id"] for v in votes["votes"]} == {x.id, y.id}
    await fails(x("messages.getPollVotes", peer=peer(group), id=quiz["id"]), "POLL_ANONYMOUS")
    await y("messages.sendVote", peer=peer(group), msg_id=multi["id"], options=[])  # retract
    result = await owner("messages.getPollResults", peer=peer(group), msg_id=multi["id"])
    assert [o.get("voter_count", 0) for o in result["poll"]["options"]] == [1, 0, 1]
    assert result["poll"]["total_voter_count"] == 1
    bot = await cast.bot("Voter")
    await owner("channels.inviteToChannel", peer=peer(group), user_ids=[bot.id])
    await fails(bot("messages.sendVote", peer=peer(group), msg_id=multi["id"], options=[0]),
                "BOT_METHOD_INVALID")

    chan = (await owner("channels.createChannel", title="C", broadcast=True))["id"]
    await fails(owner("messages.sendPoll", peer=peer(chan), poll={
        "question": "?", "answers": ["a", "b"], "public_voters": True}),
        "BROADCAST_PUBLIC_VOTERS_FORBIDDEN")
    # A forwarded poll is the same poll: votes anywhere count everywhere.
    await fails(owner("messages.forwardMessages", from_peer=peer(group), ids=[multi["id"]],
                      to_peer=peer(chan)), "BROADCAST_PUBLIC_VOTERS_FORBIDDEN")
    (copy,) = await owner("messages.forwardMessages", from_peer=peer(group), ids=[multi["id"]],
                          to_peer={"user_id": x.id})
    await owner("messages.sendVote", peer={"user_id": x.id}, msg_id=copy["id"], options=[1])
    result = await y("messages.getPollResults", peer=peer(group), msg_id=multi["id"])
    assert [o.get("voter_count", 0) for o in result["poll"]["options"]] == [1, 1, 1]
    assert result["poll"]["total_voter_count"] == 2
    await watcher.close()


async def test_channel_with_comments(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    admin, fan, fan2 = await cast.user("Admin"), await cast.user("Fan"), await cast.user("Fan2")
    chan = (await admin("channels.createChannel", title="Blog", broadcast=True))["id"]
    talk = (await admin("channels.createChannel", title="Blog chat", megagroup=True))["id"]
    await admin("channels.updateUsername", peer=peer(chan), username="the_blog")
    await admin("channels.updateUsername", peer=peer(talk), username="the_blog_chat")
    await admin("channels.toggleSignatures", peer=peer(chan), enabled=True)
    await admin("channels.setDiscussionGroup", broadcast=peer(chan), group=peer(talk))
    assert (await fan("channels.resolveUsername", username="the_blog"))["info"][
        "linked_chat_id"] == talk

    post = await admin("messages.sendMessage", peer=peer(chan), text="Read this", silent=True)
    assert post["post_author"] == "Admin" and post["silent"]
    assert post["replies"] == {"chat_id": talk}
    # Before joining: a public channel and its comments can be read.
    preview = await fan("channels.getMessages", peer=peer(chan))
    assert [m.get("text") for m in preview["messages"] if "action" not in m] == ["Read this"]
    root = (await fan("messages.getDiscussionMessage", peer=peer(chan), msg_id=post["id"]))["root"]
    assert root["fwd_from"] == {"from_user_id": -chan, "date": post["date"],
                                "from_chat_id": chan, "from_msg_id": post["id"]}
    await fails(fan("messages.sendMessage", peer=peer(chan), text="no"), "PEER_ID_INVALID")

    for who in (fan, fan2):
        await who("channels.joinChannel", peer=peer(chan))
        await who("channels.joinChannel", peer=peer(talk))
    c1 = await fan("messages.sendMessage", peer=peer(talk), text="first!", reply_to=root["id"])
    c2 = await fan2("messages.sendMessage", peer=peer(talk), text="agree", reply_to=c1["id"])
    await admin("messages.sendMessage", peer=peer(talk), text="off topic")
    assert c1["thread_id"] == c2["thread_id"] == root["id"]
    thread = await fan2("messages.getReplies", peer=peer(chan), msg_id=post["id"])
    assert [m["text"] for m in thread["messages"]] == ["agree", "first!"]
    assert thread["count"] == 2 and thread["chat_id"] == talk

    stats = await fan("messages.getMessagesViews", peer=peer(chan), ids=[post["id"]],
                      increment=True)
    await fan("messages.getMessagesViews", peer=peer(chan), ids=[post["id"]], increment=True)
    stats = await fan2("messages.getMessagesViews", peer=peer(chan), ids=[post["id"]],
                       increment=True)
    assert stats == [{"id": post["id"], "views": 2, "forwards": 0, "replies": 2}]
    await fan("messages.forwardMessages", from_peer=peer(chan), ids=[post["id"]],
              to_peer={"user_id": fan2.id})
    await fan("messages.deleteMessages", peer=peer(talk), ids=[c1["id"]])
    server.run(server.app.services.channels.messages.views.flush())
    stats = await admin("messages.getMessagesViews", peer=peer(chan), ids=[post["id"]])
    assert stats == [{"id": post["id"], "views": 2, "forwards": 1, "replies": 1}]
    stored = (await admin("messages.getHistory", peer=peer(chan)))["messages"][0]
    assert stored["views"] == 2 and stored["forwards"] == 1 and stored["replies"]["count"] == 1
    await fails(fan("messages.getReplies", peer=peer(chan), msg_id=1), "MSG_ID_INVALID")
    await admin("messages.editMessage", peer=peer(chan), id=post["id"], text="Read this (v2)")
    again = await fan("messages.getDiscussionMessage", peer=peer(chan), msg_id=post["id"])
    assert again["root"]["text"] == "Read this (v2)"


async def test_several_pins_in_order(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    a, b = await cast.user("A"), await cast.user("B")
    for chat in ({"user_id": b.id},
                 peer((await a("channels.createChannel", title="G", megagroup=True))["id"])):
        ids = [(await a("messages.sendMessage", peer=chat, text=f"m{i}"))["id"] for i in range(4)]
        for i in (ids[2], ids[0], ids[3]):
            await a("messages.updatePinnedMessage", peer=chat, id=i)
        pinned = await a("messages.getPinnedMessages", peer=chat)
        assert [m["id"] for m in pinned["messages"]] == [ids[3], ids[2], ids[0]]
        await a("messages.updatePinnedMessage", peer=chat, id=ids[2], unpin=True)
        pinned = await a("messages.getPinnedMessages", peer=chat)
        assert [m["id"] for m in pinned["messages"]] == [ids[3], ids[0]]
        await a("messages.unpinAllMessages", peer=chat)
        assert (await a("messages.getPinnedMessages", peer=chat))["messages"] == []


async def test_forum_topics(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    owner, member = await cast.user("Owner"), await cast.user("Member")
    forum = (await owner("channels.createChannel", title="Forum", megagroup=True))["id"]
    await owner("channels.inviteToChannel", peer=peer(forum), user_ids=[member.id])
    await fails(owner("messages.createForumTopic", peer=peer(forum), title="x"),
                "CHANNEL_FORUM_MISSING")
    await owner("channels.toggleForum", peer=peer(forum), enabled=True)
    news = await owner("messages.createForumTopic", peer=peer(forum), title="News",
                       icon_color=0x6FB9F0)
    chat = await owner("messages.createForumTopic", peer=peer(forum), title="Chat")
    await fails(member("messages.createForumTopic", peer=peer(forum), title="Mine"),
                "CHAT_ADMIN_REQUIRED", 403)
    m1 = await member("messages.sendMessage", peer=peer(forum), text="hello", thread_id=chat["id"])
    m2 = await owner("messages.sendMessage", peer=peer(forum), text="reply", reply_to=m1["id"])
    assert m2["thread_id"] == chat["id"]
    await fails(member("messages.sendMessage", peer=peer(forum), text="?", thread_id=999),
                "TOPIC_ID_INVALID")
    topic = await member("messages.getReplies", peer=peer(forum), msg_id=chat["id"])
    assert [m["text"] for m in topic["messages"]] == ["reply", "hello"]
    await owner("messages.editForumTopic", peer=peer(forum), topic_id=chat["id"], closed=True,
                title="Chat (closed)")
    await fails(member("messages.sendMessage", peer=peer(forum), text="?", thread_id=chat["id"]),
                "TOPIC_CLOSED")
    await owner("messages.sendMessage", peer=peer(forum), text="admins may", thread_id=chat["id"])
    await owner("messages.updatePinnedForumTopic", peer=peer(forum), topic_id=news["id"],
                pinned=True)
    topics = (await member("messages.getForumTopics", peer=peer(forum)))["topics"]
    assert [(t["title"], t.get("pinned", False), t.get("closed", False)) for t in topics] == [
        ("News", True, False), ("Chat (closed)", False, True)]
    assert topics[0]["icon_color"] == 0x6FB9F0
    await fails(member("messages.updatePinnedForumTopic", peer=peer(forum), topic_id=chat["id"],
                       pinned=True), "CHAT_ADMIN_REQUIRED")
    plain = (await owner("channels.createChannel", title="Plain", megagroup=True))["id"]
    await fails(owner("messages.sendMessage", peer=peer(plain), text="x", thread_id=1),
                "TOPIC_ID_INVALID")


async def test_private_channels_stay_private(server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = await cast.user("Owner"), await cast.user("Stranger")
    chan = (await owner("channels.createChannel", title="Secret", broadcast=True))["id"]
    await owner("messages.sendMessage", peer=peer(chan), text="hidden")
    for call in (stranger("channels.getMessages", peer=peer(chan)),
                 stranger("channels.getFullChannel", peer=peer(chan)),
                 stranger("channels.joinChannel", peer=peer(chan)),
                 stranger("channels.getFullChannel", peer=peer(987654))):
        await fails(call, "PEER_ID_INVALID")
    await fails(stranger("channels.resolveUsername", username="secret_chan"),
                "USERNAME_NOT_OCCUPIED")
    await owner("channels.updateUsername", peer=peer(chan), username="secret_chan")
    await fails(stranger("account.updateUsername", username="Secret_Chan"), "USERNAME_OCCUPIED")
    await owner("account.updateUsername", username="owner_name")
    await fails(owner("channels.updateUsername", peer=peer(chan), username="owner_name"),
                "USERNAME_OCCUPIED")
    await stranger("channels.joinChannel", peer=peer(chan))
    await owner("channels.updateUsername", peer=peer(chan), username="")
    assert (await stranger("channels.getMessages", peer=peer(chan)))["messages"]
