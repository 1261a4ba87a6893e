"""The Bot API's media methods, channels and supergroups, polls and reactions: every object the
server emits here is validated against aiogram's models (the strictest parser)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from botkit import api_id, bot_call, new_bot, supergroup, upload_file, wait_for
from test_file_bots import DOC, png


def valid(method: type, body: dict[str, Any]) -> Any:
    from aiogram.methods.base import Response

    assert body["ok"] is True, body
    return Response[method.__returning__].model_validate(body).result  # type: ignore[attr-defined]


async def upload(server: Any, token: str, method: str, data: dict[str, Any],
                 files: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(f"{server.url}/bot{token}/{method}", data=data, files=files)
    return resp.status_code, resp.json()


async def updates(server: Any, token: str, kinds: list[str], want: int = 1,
                  offset: int = 0) -> list[dict[str, Any]]:
    """getUpdates until `want` updates arrived (validated as aiogram parses them)."""
    from aiogram.methods import GetUpdates

    got: list[dict[str, Any]] = []
    for _ in range(100):
        _, body = await bot_call(server, token, "getUpdates", offset=offset,
                                 allowed_updates=json.dumps(kinds))
        valid(GetUpdates, body)
        got = body["result"]
        if len(got) >= want:
            return got
        await asyncio.sleep(0.05)
    return got


def kinds_of(got: list[dict[str, Any]]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in got]


async def test_media_methods(server, people) -> None:
    from aiogram.methods import (
        EditMessageCaption,
        EditMessageMedia,
        GetFile,
        SendDocument,
        SendMediaGroup,
        SendPhoto,
    )

    alice = await people("Alice")
    bot_id, token = new_bot(server, "media_methods_bot", alice.id)
    await alice.say({"user_id": bot_id}, "hi")
    chat = {"chat_id": str(alice.id)}
    # the part named like the parameter (ptb, telebot), and `attach://` (aiogram)
    _, body = await upload(server, token, "sendPhoto", {**chat, "caption": "<b>cap</b>",
                                                        "parse_mode": "HTML"},
                           {"photo": ("pic.png", png(1600, 900), "image/png")})
    photo = valid(SendPhoto, body)
    assert [(p.width, p.height) for p in photo.photo] == [(90, 51), (320, 180), (800, 450),
                                                          (1280, 720)]
    assert body["result"]["caption_entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    _, body = await upload(server, token, "sendDocument",
                           {**chat, "document": "attach://f1", "caption": "see https://x.org"},
                           {"f1": ("notes.txt", DOC, "application/octet-stream")})
    doc = valid(SendDocument, body)
    assert (doc.document.file_name, doc.document.mime_type, doc.document.file_size) == (
        "notes.txt", "text/plain", len(DOC))
    assert body["result"]["caption_entities"][0]["type"] == "url"
    # getFile, then the download: whole, and a range
    file = valid(GetFile, (await bot_call(server, token, "getFile",
                                          file_id=doc.document.file_id))[1])
    assert file.file_path.startswith("documents/") and file.file_path.endswith(".txt")
    url = f"{server.url}/file/bot{token}/{file.file_path}"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).content == DOC
        part = await client.get(url, headers={"range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == DOC[10:20]
        other_id, other = new_bot(server, "other_media_bot", alice.id)
        stolen = await client.get(f"{server.url}/file/bot{other}/{file.file_path}")
        assert stolen.status_code == 404 and stolen.json()["ok"] is False
        forged = await client.get(url.replace(file.file_path.split(".")[2], "A" * 32))
        assert forged.status_code == 404
    # re-sending by file_id; every kind; URLs refused
    for method, param, extra in (
            ("sendPhoto", "photo", {"file_id": photo.photo[-1].file_id}),
            ("sendVideo", "video", {"duration": 3, "width": 64, "height": 48}),
            ("sendAudio", "audio", {"duration": 5, "performer": "Band", "title": "Song"}),
            ("sendVoice", "voice", {"duration": 2}), ("sendAnimation", "animation", {}),
            ("sendSticker", "sticker", {})):
        fid = extra.pop("file_id", doc.document.file_id)
        status, body = await bot_call(server, token, method, **chat, **{param: fid}, **extra)
        valid(SendPhoto, body)
        assert param if param != "sticker" else "document" in body["result"], body
    assert body["result"]["document"]["file_id"] == doc.document.file_id
    status, body = await bot_call(server, token, "sendPhoto", **chat,
                                  photo="https://example.org/cat.jpg")
    assert status == 400 and "URLs" in body["description"]
    status, body = await bot_call(server, token, "sendDocument", **chat, document="nope")
    assert status == 400 and body["description"] == ("Bad Request: wrong file identifier/HTTP "
                                                      "URL specified")
    # an album, then editing a caption and a media
    media = [{"type": "photo", "media": "attach://a", "caption": "one"},
             {"type": "photo", "media": photo.photo[-1].file_id}]
    _, body = await upload(server, token, "sendMediaGroup", {**chat, "media": json.dumps(media)},
                           {"a": ("a.png", png(200, 100), "image/png")})
    album = valid(SendMediaGroup, body)
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    _, body = await bot_call(server, token, "editMessageCaption", **chat,
                             message_id=doc.message_id, caption="new caption")
    assert valid(EditMessageCaption, body).caption == "new caption"
    _, body = await upload(server, token, "editMessageMedia",
                           {**chat, "message_id": str(doc.message_id),
                            "media": json.dumps({"type": "document", "media": "attach://n",
                                                 "caption": "v2"})},
                           {"n": ("v2.txt", b"version two", "text/plain")})
    edited = valid(EditMessageMedia, body)
    assert edited.document.file_name == "v2.txt" and edited.caption == "v2"
    await wait_for(lambda: [m for m in alice.edits_from(bot_id)
                            if m.get("media", {}).get("document", {}).get("name") == "v2.txt"])
    link = await alice.call("files.getFileUrl", file_id=edited.document.file_id)
    async with httpx.AsyncClient() as client:
        assert (await client.get(server.url + link["path"])).content == b"version two"
    # what users send reaches the bot as photo / document objects
    got = await updates(server, token, ["message"])
    _, body = await bot_call(server, token, "getUpdates", offset=got[-1]["update_id"] + 1)
    pic = await alice.call("upload.start", size=len(png()), name="p.png", mime_type="image/png")
    async with httpx.AsyncClient() as client:
        await client.post(f"{server.url}/api/upload/{pic['upload_id']}/0", content=png(),
                          headers={"authorization": f"Bearer {alice.token}"})
    fid = (await alice.call("upload.finish", upload_id=pic["upload_id"]))["file_id"]
    await alice.call("messages.sendMedia", peer={"user_id": bot_id},
                     media={"type": "photo", "file_id": fid}, caption="mine #tag")
    got = await updates(server, token, ["message"], offset=got[-1]["update_id"] + 1)
    message = got[0]["message"]
    assert message["photo"][0]["width"] == 64 and message["caption"] == "mine #tag"
    assert message["caption_entities"] == [{"type": "hashtag", "offset": 5, "length": 4}]


async def test_channel_bot_receives_channel_posts(server, people) -> None:
    """An aiogram bot made a channel's admin gets its posts (not its own) and posts back."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import ChatMemberUpdated, Message

    alice = await people("Alice")
    bot_id, token = new_bot(server, "aiogram_channel_bot", alice.id)
    dp = Dispatcher()
    seen: list[str] = []
    joined: list[str] = []

    @dp.my_chat_member()
    async def me(update: ChatMemberUpdated) -> None:
        joined.append(f"{update.old_chat_member.status}->{update.new_chat_member.status}")

    @dp.channel_post()
    async def post(message: Message) -> None:
        if message.photo:
            seen.append(f"photo {message.photo[-1].width} {message.media_group_id is not None}")
            return
        seen.append(message.text or "")
        await message.answer(f"echo: {message.text} ({message.chat.type}"
                             f" {message.sender_chat.id == message.chat.id})")

    @dp.edited_channel_post()
    async def edited(message: Message) -> None:
        seen.append("edited " + (message.text or ""))

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    channel = await supergroup(alice, "News", [], admin_bot=bot_id, broadcast=True)
    peer = {"chat_id": channel["id"]}
    task = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False,
                                                allowed_updates=["channel_post",
                                                                 "edited_channel_post",
                                                                 "my_chat_member"]))
    try:
        first = await alice.say(peer, "breaking")
        echo = await wait_for(lambda: [m for m in alice.messages_from(-channel["id"])
                                       if m.get("text", "").startswith("echo")], 15)
        assert echo[0]["text"] == "echo: breaking (channel True)"
        await alice.call("messages.editMessage", peer=peer, id=first["id"], text="breaking!")
        await wait_for(lambda: "edited breaking!" in seen, 10)
        # media posted through the client API take the channel's rules too, albums included
        fid = await upload_file(alice, png(300, 200), "a.png", "image/png")
        await alice.call("messages.sendMedia", peer=peer, media={"type": "photo",
                                                                 "file_id": fid})
        other = await upload_file(alice, png(100, 100), "b.png", "image/png")
        await alice.call("messages.sendMultiMedia", peer=peer, multi_media=[
            {"media": {"type": "photo", "file_id": fid}},
            {"media": {"type": "photo", "file_id": other}}])
        await wait_for(lambda: len(seen) == 5, 10)
        await asyncio.sleep(0.3)
        assert seen == ["breaking", "edited breaking!", "photo 300 False", "photo 300 True",
                        "photo 100 True"]  # never its own posts
        assert joined == ["left->administrator"]
        _, body = await bot_call(server, token, "getChat", chat_id=api_id(channel))
        assert body["result"]["type"] == "channel" and body["result"]["title"] == "News"
    finally:
        await dp.stop_polling()
        await task
        await bot.session.close()


async def test_polls_reactions_join_requests_and_members(server, people) -> None:
    from aiogram.methods import (
        CreateChatInviteLink,
        GetChatMember,
        SendMessage,
        StopPoll,
    )

    alice, bob, carol = await people("Alice"), await people("Bob"), await people("Carol")
    bot_id, token = new_bot(server, "updates_bot", alice.id)
    big = await supergroup(alice, "Votes", [bob.id], admin_bot=bot_id, add_admins=True)
    peer, gid = {"chat_id": big["id"]}, api_id(big)
    kinds = ["message", "poll", "poll_answer", "message_reaction", "chat_join_request",
             "chat_member", "my_chat_member"]
    got = await updates(server, token, kinds)
    assert "my_chat_member" in kinds_of(got)
    offset = got[-1]["update_id"] + 1
    # a public poll: votes reach the bot as poll_answer and poll
    _, body = await bot_call(server, token, "sendPoll", chat_id=gid, question="Tea?",
                             options=json.dumps(["yes", "no"]), is_anonymous="false")
    poll_msg = valid(SendMessage, body)
    await bob.call("messages.sendVote", peer=peer, msg_id=poll_msg.message_id, options=[1])
    got = await updates(server, token, kinds, 2, offset)
    by_kind = {k: u[k] for u in got for k in u if k != "update_id"}
    assert by_kind["poll_answer"]["user"]["id"] == bob.id
    assert by_kind["poll_answer"]["option_ids"] == [1]
    assert by_kind["poll"]["options"][1]["voter_count"] == 1
    offset = got[-1]["update_id"] + 1
    poll = valid(StopPoll, (await bot_call(server, token, "stopPoll", chat_id=gid,
                                           message_id=poll_msg.message_id))[1])
    assert poll.is_closed and poll.total_voter_count == 1
    # reactions: the bot's own, and a user's (message_reaction, asked for)
    note = await bob.say(peer, "react to me")
    status, body = await bot_call(server, token, "setMessageReaction", chat_id=gid,
                                  message_id=note["id"],
                                  reaction=json.dumps([{"type": "emoji", "emoji": "👍"}]))
    assert body == {"ok": True, "result": True}
    await wait_for(lambda: [e for e in bob.events if e.get("type") == "message_reactions"
                            and e.get("user_id") == bot_id])
    await bob.call("messages.sendReaction", peer=peer, msg_id=note["id"], reaction=["🔥"])
    await bob.call("messages.sendReaction", peer=peer, msg_id=note["id"], reaction=["❤"])
    got = await updates(server, token, kinds, 4, offset)
    reactions = [u["message_reaction"] for u in got if "message_reaction" in u]
    assert [(r["old_reaction"], r["new_reaction"]) for r in reactions] == [
        ([], [{"type": "emoji", "emoji": "🔥"}]),
        ([{"type": "emoji", "emoji": "🔥"}], [{"type": "emoji", "emoji": "❤"}])]
    assert reactions[0]["user"]["id"] == bob.id and reactions[0]["chat"]["id"] == gid
    offset = got[-1]["update_id"] + 1
    # a link that needs approval: chat_join_request, approved; chat_member for the join
    _, body = await bot_call(server, token, "createChatInviteLink", chat_id=gid, name="vip",
                             creates_join_request="true")
    link = valid(CreateChatInviteLink, body)
    assert link.creates_join_request and link.creator.id == bot_id and link.name == "vip"
    token_part = link.invite_link.rsplit("+", 1)[-1]
    try:
        await carol.call("messages.importChatInvite", hash=token_part, about="let me in")
    except Exception as exc:  # noqa: BLE001 - INVITE_REQUEST_SENT is the expected answer
        assert "INVITE_REQUEST_SENT" in str(exc)
    got = await updates(server, token, kinds, 1, offset)
    request = next(u["chat_join_request"] for u in got if "chat_join_request" in u)
    assert request["from"]["id"] == carol.id and request["user_chat_id"] == carol.id
    assert request["bio"] == "let me in"
    offset = got[-1]["update_id"] + 1
    status, body = await bot_call(server, token, "approveChatJoinRequest", chat_id=gid,
                                  user_id=carol.id)
    assert body == {"ok": True, "result": True}
    member = valid(GetChatMember, (await bot_call(server, token, "getChatMember", chat_id=gid,
                                                  user_id=carol.id))[1])
    assert member.status == "member"
    got = await updates(server, token, kinds, 2, offset)
    changes = [u["chat_member"] for u in got if "chat_member" in u]
    assert [(c["old_chat_member"]["status"], c["new_chat_member"]["status"])
            for c in changes] == [("left", "member")]
    assert "message" in kinds_of(got)  # the service message of the join
    # promote and demote: chat_member for others, the rights reported as they are
    offset = got[-1]["update_id"] + 1
    _, body = await bot_call(server, token, "promoteChatMember", chat_id=gid, user_id=carol.id,
                             can_pin_messages="true", can_invite_users="true")
    assert body["ok"] is True, body
    member = valid(GetChatMember, (await bot_call(server, token, "getChatMember", chat_id=gid,
                                                  user_id=carol.id))[1])
    assert member.status == "administrator" and member.can_pin_messages
    assert not member.can_restrict_members and member.can_be_edited
    got = await updates(server, token, kinds, 1, offset)
    assert [u["chat_member"]["new_chat_member"]["status"] for u in got
            if "chat_member" in u] == ["administrator"]
    # BotFather's texts carry commands as entities, as every message does
    await alice.say({"user_id": server.app.services.bots.accounts.father_id}, "/help")
    father = await alice.reply_from(server.app.services.bots.accounts.father_id, 1)
    commands = [e for e in father[0]["entities"] if e["type"] == "bot_command"]
    assert len(commands) >= 10
    sent = await alice.say(peer, "/start@updates_bot and mail me@example.org")
    assert [e["type"] for e in sent["entities"]] == ["bot_command", "email"]
