"""Real bots written with python-telegram-bot, aiogram and pyTelegramBotAPI (sync and async),
unmodified apart from the base URL, against a live server; a user drives each conversation
through the client API and the test asserts what the user sees."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from botkit import new_bot, wait_for

# ---- python-telegram-bot 22 ----------------------------------------------------------------------

async def test_ptb_echo_commands_and_inline_keyboard(server, people) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        CommandHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    alice = await people("Alice")
    bot_id, token = new_bot(server, "ptb_echo_bot", alice.id, "Echo")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        arg = context.args[0] if context.args else "none"
        await update.message.reply_text(f"Hello {update.effective_user.first_name}! arg={arg}")

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = [[InlineKeyboardButton("Yes", callback_data="yes"),
                     InlineKeyboardButton("No", callback_data="no")]]
        await update.message.reply_text("<b>Choose</b>:", parse_mode="HTML",
                                        reply_markup=InlineKeyboardMarkup(keyboard))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer(f"You said {query.data}")
        await query.edit_message_text(f"Chosen: {query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    app = (Application.builder().token(token).base_url(f"{server.url}/bot")
           .base_file_url(f"{server.url}/file/bot").build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.bot.set_my_commands([("start", "Say hello"), ("menu", "Show the menu")])
    chat = {"user_id": bot_id}
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await alice.call("messages.startBot", bot_id=bot_id, start_param="ref42")
            got = await alice.reply_from(bot_id, 1)
            assert got[0]["text"] == "Hello Alice! arg=ref42"
            await alice.say(chat, "echo me")
            got = await alice.reply_from(bot_id, 2)
            assert got[1]["text"] == "echo me"
            await alice.say(chat, "/menu")
            got = await alice.reply_from(bot_id, 3)
            menu_msg = got[2]
            assert menu_msg["text"] == "Choose:"
            assert menu_msg["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
            buttons = menu_msg["reply_markup"]["inline_keyboard"][0]
            assert [b["text"] for b in buttons] == ["Yes", "No"]
            answer = await alice.call("messages.getBotCallbackAnswer", peer=chat,
                                      msg_id=menu_msg["id"], data="yes")
            assert answer["message"] == "You said yes" and answer["alert"] is False
            await wait_for(lambda: alice.edits_from(bot_id))
            edited = alice.edits_from(bot_id)[-1]
            assert edited["id"] == menu_msg["id"] and edited["text"] == "Chosen: yes"
            assert "reply_markup" not in edited
        finally:
            await app.updater.stop()
            await app.stop()
    menu = await alice.call("bots.getBotCommands", user_id=bot_id)
    assert [c["command"] for c in menu] == ["start", "menu"]


# ---- aiogram 3 -----------------------------------------------------------------------------------

async def test_aiogram_echo_alert_and_inline_mode(server, people) -> None:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import Command, CommandStart
    from aiogram.types import (
        CallbackQuery,
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        InlineQuery,
        InlineQueryResultArticle,
        InputTextMessageContent,
        Message,
    )

    alice = await people("Alice")
    bot_id, token = new_bot(server, "aiogram_echo_bot", alice.id, "Aio")
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Danger",
                                                                         callback_data="boom")]])
        await message.answer("Welcome *friend*", parse_mode="MarkdownV2", reply_markup=kb)

    @dp.callback_query(F.data == "boom")
    async def boom(query: CallbackQuery) -> None:
        await query.answer("Careful!", show_alert=True)

    @dp.message(Command("count"))
    async def count(message: Message) -> None:
        await message.answer(f"{len(message.text)}")

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text.upper())

    @dp.inline_query()
    async def inline(query: InlineQuery) -> None:
        await query.answer([InlineQueryResultArticle(
            id="1", title=f"Shout {query.query}",
            input_message_content=InputTextMessageContent(message_text=query.query.upper()))],
            cache_time=1)

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    task = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False))
    chat = {"user_id": bot_id}
    try:
        await alice.say(chat, "/start")
        got = await alice.reply_from(bot_id, 1)
        assert got[0]["text"] == "Welcome friend"
        assert got[0]["entities"] == [{"type": "bold", "offset": 8, "length": 6}]
        answer = await alice.call("messages.getBotCallbackAnswer", peer=chat,
                                  msg_id=got[0]["id"], data="boom")
        assert answer == {"message": "Careful!", "alert": True, "url": None, "cache_time": 0}
        await alice.say(chat, "/count@aiogram_echo_bot")
        got = await alice.reply_from(bot_id, 2)
        assert got[1]["text"] == "23"
        await alice.say(chat, "quiet")
        got = await alice.reply_from(bot_id, 3)
        assert got[2]["text"] == "QUIET"
        results = await alice.call("messages.getInlineBotResults", bot_id=bot_id, query="hey")
        assert results["results"][0]["title"] == "Shout hey"
        bob = await people("Bob")
        sent = await alice.call("messages.sendInlineBotResult", peer={"user_id": bob.id},
                                query_id=results["query_id"], id="1")
        assert sent["text"] == "HEY" and sent["via_bot_id"] == bot_id
        await wait_for(lambda: bob.messages_from(alice.id))
        assert bob.messages_from(alice.id)[0]["via_bot_id"] == bot_id
    finally:
        await dp.stop_polling()
        await task
        await bot.session.close()


# ---- pyTelegramBotAPI 4 (sync and async) --------------------------------------------------------

async def test_telebot_sync_echo(server, people) -> None:
    import telebot
    from telebot import apihelper

    alice = await people("Alice")
    bot_id, token = new_bot(server, "telebot_sync_bot", alice.id, "Tele")
    saved = apihelper.API_URL, apihelper.FILE_URL
    apihelper.API_URL = server.url + "/bot{0}/{1}"
    apihelper.FILE_URL = server.url + "/file/bot{0}/{1}"
    try:
        bot = telebot.TeleBot(token, threaded=False)

        @bot.message_handler(commands=["start", "help"])
        def welcome(message: Any) -> None:
            bot.reply_to(message, "Howdy, how are you doing?")

        @bot.message_handler(func=lambda m: True)
        def echo_all(message: Any) -> None:
            markup = telebot.types.ReplyKeyboardMarkup(resize_keyboard=True, one_time_keyboard=True)
            markup.add("Fine", "Bad")
            bot.send_message(message.chat.id, message.text, reply_markup=markup,
                             disable_notification=True)

        thread = threading.Thread(target=bot.polling, daemon=True,
                                  kwargs={"non_stop": True, "timeout": 1, "long_polling_timeout": 1})
        thread.start()
        chat = {"user_id": bot_id}
        await alice.say(chat, "/start")
        got = await alice.reply_from(bot_id, 1)
        assert got[0]["text"] == "Howdy, how are you doing?"
        await alice.say(chat, "how?")
        got = await alice.reply_from(bot_id, 2)
        assert got[1]["text"] == "how?"
        keyboard = got[1]["reply_markup"]
        assert keyboard["keyboard"] == [[{"text": "Fine"}, {"text": "Bad"}]]
        assert keyboard["one_time_keyboard"] and keyboard["resize_keyboard"]
        await alice.say(chat, "Fine")
        got = await alice.reply_from(bot_id, 3)
        assert got[2]["text"] == "Fine"
        bot.stop_polling()
        await asyncio.to_thread(thread.join, 10)
        assert not thread.is_alive()
    finally:
        apihelper.API_URL, apihelper.FILE_URL = saved


async def test_telebot_async_echo(server, people) -> None:
    from telebot import asyncio_helper
    from telebot.async_telebot import AsyncTeleBot

    alice = await people("Alice")
    bot_id, token = new_bot(server, "telebot_async_bot", alice.id, "TeleAsync")
    saved = asyncio_helper.API_URL, asyncio_helper.FILE_URL
    asyncio_helper.API_URL = server.url + "/bot{0}/{1}"
    asyncio_helper.FILE_URL = server.url + "/file/bot{0}/{1}"
    try:
        bot = AsyncTeleBot(token)

        @bot.message_handler(commands=["start"])
        async def welcome(message: Any) -> None:
            await bot.send_message(message.chat.id, f"Hi {message.from_user.first_name}")

        @bot.message_handler(func=lambda m: True)
        async def echo(message: Any) -> None:
            await bot.reply_to(message, message.text[::-1])

        task = asyncio.create_task(bot.polling(non_stop=True, timeout=1))
        chat = {"user_id": bot_id}
        await alice.say(chat, "/start")
        got = await alice.reply_from(bot_id, 1)
        assert got[0]["text"] == "Hi Alice"
        await alice.say(chat, "abc")
        got = await alice.reply_from(bot_id, 2)
        assert got[1]["text"] == "cba"
        bot._polling = False  # AsyncTeleBot stops after the poll in flight
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task, 10)
        assert task.done()
    finally:
        asyncio_helper.API_URL, asyncio_helper.FILE_URL = saved
