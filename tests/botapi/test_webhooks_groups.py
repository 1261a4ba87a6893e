"""Webhook bots on loopback (python-telegram-bot's receiver; aiogram answering with a method in
the webhook's reply), a group-admin bot, and privacy mode in groups."""

from __future__ import annotations

import asyncio
import socket

from botkit import bot_call, new_bot, outcome, supergroup, updates_when, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ptb_webhook_bot(server, people) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    alice = await people("Alice")
    bot_id, token = new_bot(server, "ptb_hook_bot", alice.id)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"hooked: {update.message.text}")

    app = (Application.builder().token(token).base_url(f"{server.url}/bot")
           .base_file_url(f"{server.url}/file/bot").build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    port = free_port()
    async with app:
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook",
                                        webhook_url=f"http://127.0.0.1:{port}/hook",
                                        secret_token="s3cret_Token")
        try:
            status, body = await bot_call(server, token, "getWebhookInfo")
            assert body["result"]["url"] == f"http://127.0.0.1:{port}/hook"
            status, body = await bot_call(server, token, "getUpdates")
            assert status == 409 and body["description"].startswith("Conflict: can't use getUpdates")
            for text in ("one", "two", "three"):
                await alice.say({"user_id": bot_id}, text)
            got = await alice.reply_from(bot_id, 3)
            assert [m["text"] for m in got] == ["hooked: one", "hooked: two", "hooked: three"]
            status, body = await bot_call(server, token, "getWebhookInfo")
            assert body["result"]["pending_update_count"] == 0
        finally:
            await app.updater.stop()
            await app.stop()
    status, body = await bot_call(server, token, "deleteWebhook")
    assert body == {"ok": True, "result": True}


async def test_aiogram_webhook_reply_carries_a_method(server, people) -> None:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    alice = await people("Alice")
    bot_id, token = new_bot(server, "aiogram_hook_bot", alice.id)
    dp = Dispatcher()

    @dp.message(F.text)
    async def pong(message: Message):  # type: ignore[no-untyped-def]
        return message.answer(f"pong {message.text}")  # returned, not awaited: the reply

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    web_app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, handle_in_background=False,
                         secret_token="abc").register(web_app, path="/wh")
    runner = web.AppRunner(web_app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/wh", secret_token="abc")
        await alice.say({"user_id": bot_id}, "ping")
        got = await alice.reply_from(bot_id, 1)
        assert got[0]["text"] == "pong ping"
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
        await bot.session.close()


async def test_webhook_failures_are_reported_and_retried(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "failing_hook_bot", alice.id)
    dead = free_port()
    status, body = await bot_call(server, token, "setWebhook", url=f"http://127.0.0.1:{dead}/x")
    assert body == {"ok": True, "result": True}
    await alice.say({"user_id": bot_id}, "anyone?")

    async def info() -> dict:
        return (await bot_call(server, token, "getWebhookInfo"))[1]["result"]

    got = None
    for _ in range(200):
        got = await info()
        if got.get("last_error_message"):
            break
        await asyncio.sleep(0.02)
    assert got and got["last_error_message"] == "Connection refused"
    assert got["pending_update_count"] == 1 and got["last_error_date"] > 0
    await bot_call(server, token, "deleteWebhook")
    status, body = await bot_call(server, token, "getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["anyone?"]


async def test_group_admin_bot_bans_restricts_and_pins(server, people) -> None:
    """A python-telegram-bot admin bot in a supergroup: what it does goes through the channel
    services, so the restricted user cannot send and the banned one can neither send nor join
    again; a basic group's ban only removes the member."""
    from telegram import ChatPermissions, Update
    from telegram.ext import Application, CommandHandler, ContextTypes

    alice, bob, carol = await people("Alice"), await people("Bob"), await people("Carol")
    bot_id, token = new_bot(server, "ptb_admin_bot", alice.id)

    async def ban(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        target = update.message.reply_to_message.from_user
        await context.bot.ban_chat_member(update.effective_chat.id, target.id)
        await update.message.reply_text(f"Banned {target.first_name}")

    async def mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        target = update.message.reply_to_message.from_user
        await context.bot.restrict_chat_member(update.effective_chat.id, target.id,
                                               ChatPermissions(can_send_messages=False))
        member = await context.bot.get_chat_member(update.effective_chat.id, target.id)
        await update.message.reply_text(f"{target.first_name} is {member.status}")

    async def pin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_to_message.pin()
        admins = await context.bot.get_chat_administrators(update.effective_chat.id)
        count = await context.bot.get_chat_member_count(update.effective_chat.id)
        await update.message.reply_text(f"Pinned; {len(admins)} admins of {count}")

    big = await supergroup(alice, "Admins", [bob.id, carol.id], admin_bot=bot_id)
    peer = {"chat_id": big["id"]}
    link = await alice.call("messages.exportChatInvite", peer=peer)
    group = await alice.call("messages.createChat", title="Basic", user_ids=[bob.id, bot_id])
    server.run(server.app.services.bots.accounts.store.set_role(group["id"], bot_id, "admin"))
    app = (Application.builder().token(token).base_url(f"{server.url}/bot")
           .base_file_url(f"{server.url}/file/bot").build())
    for name, fn in (("ban", ban), ("mute", mute), ("pin", pin)):
        app.add_handler(CommandHandler(name, fn))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            note = await bob.say(peer, "an important note")
            await alice.say(peer, "/pin", reply_to=note["id"])
            got = await alice.reply_from(bot_id, 1)
            assert got[0]["text"] == "Pinned; 2 admins of 4"
            await wait_for(lambda: [e for e in alice.events if e.get("type") == "pin_message"])
            await alice.say(peer, "/mute", reply_to=note["id"])
            got = await alice.reply_from(bot_id, 2)
            assert got[1]["text"] == "Bob is restricted"
            assert await outcome(bob.say(peer, "still here?")) == "CHAT_WRITE_FORBIDDEN"
            await alice.say(peer, "/ban", reply_to=note["id"])
            texts = await wait_for(lambda: [m["text"] for m in alice.messages_from(bot_id)
                                            if m.get("text") == "Banned Bob"])
            assert texts == ["Banned Bob"]
            assert await outcome(bob.say(peer, "let me in")) != "ok"
            assert await outcome(bob.call("messages.importChatInvite",
                                          hash=link["link"])) == "USER_BANNED_IN_CHANNEL"
            assert await outcome(carol.call("channels.inviteToChannel", peer=peer,
                                            user_ids=[bob.id])) == "USER_KICKED"
            # A basic group: a ban removes the member, who may be added again.
            await alice.say({"chat_id": group["id"]}, "/ban", reply_to=(
                await bob.say({"chat_id": group["id"]}, "hi"))["id"])
            await wait_for(lambda: len([m for m in alice.messages_from(bot_id, group["id"])
                                        if m.get("text") == "Banned Bob"]) == 1)
            removed = [m for m in alice.messages_from(bot_id, group["id"]) if m.get("action")]
            assert removed[0]["action"] == {"type": "chat_delete_user", "user_ids": [bob.id]}
        finally:
            await app.updater.stop()
            await app.stop()


async def test_privacy_mode_in_groups(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "private_eye_bot", alice.id)
    group = await alice.call("messages.createChat", title="Talk", user_ids=[bot_id])
    peer = {"chat_id": group["id"]}
    status, body = await bot_call(server, token, "getUpdates")
    kinds = [next(k for k in u if k != "update_id") for u in body["result"]]
    assert kinds == ["my_chat_member", "message"]
    assert body["result"][1]["message"]["group_chat_created"] is True
    assert body["result"][1]["message"]["chat"] == {"id": -group["id"], "type": "group",
                                                    "title": "Talk"}
    last = body["result"][-1]["update_id"]
    sent = (await bot_call(server, token, "sendMessage", chat_id=-group["id"], text="I'm here"))[1]
    for text, kw in (("just chatting", {}), ("/help", {}), ("/help@other_bot", {}),
                     ("hey @private_eye_bot", {}), ("answer", {"reply_to": sent["result"]["message_id"]})):
        await alice.say(peer, text, **kw)
    # The last one sent is let through, so once it is there everything before it was judged.
    await updates_when(server, token, 3, offset=last + 1)
    status, body = await bot_call(server, token, "getUpdates", offset=last + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["/help", "hey @private_eye_bot",
                                                              "answer"]
