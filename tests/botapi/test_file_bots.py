"""File bots in each framework, unmodified apart from the base URL: on /files a bot uploads a
photo and a document, asks getFile for both and downloads them (the document byte for byte);
a document a user sends reaches the bot as `message.document`, which it downloads and hashes.
The user sees all of it through the client API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import threading
from typing import Any

import httpx
from botkit import Person, new_bot, wait_for
from PIL import Image

DOC = ("Steppe file bot — " * 300).encode()  # ~5 KB of UTF-8


def png(w: int = 64, h: int = 40) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", (w, h), (30, 120, 200))
    for x in range(0, w, 4):
        img.putpixel((x, h // 2), (255, 255, 0))
    img.save(buf, "PNG")
    return buf.getvalue()


JPEG = b"\xff\xd8\xff"


def report(doc: bytes, photo: bytes, size: int, width: int, height: int) -> str:
    return (f"document same={doc == DOC} photo jpeg={photo[:3] == JPEG} "
            f"size={len(photo) == size} {width}x{height}")


async def upload_and_send(person: Person, bot_id: int, data: bytes, name: str) -> None:
    http = person.http
    started = await http.call("upload.start", size=len(data), name=name, mime_type="text/plain")
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(f"{person.server.url}/api/upload/{started['upload_id']}/0",
                                 content=data, headers={"authorization": f"Bearer {person.token}"})
        assert resp.status_code == 200, resp.text
    done = await http.call("upload.finish", upload_id=started["upload_id"])
    await http.call("messages.sendMedia", peer={"user_id": bot_id},
                    media={"type": "document", "file_id": done["file_id"]}, caption="hash it")


async def converse(person: Person, bot_id: int) -> None:
    """What the user does and sees, the same for every framework."""
    chat = {"user_id": bot_id}
    await person.say(chat, "/files")
    got = await person.reply_from(bot_id, 3, timeout=20)
    photo, doc, summary = got[:3]
    assert photo["media"]["type"] == "photo"
    assert [s["type"] for s in photo["media"]["photo"]["sizes"]] == ["s"]  # 64 px: one size
    assert photo["text"] == "a photo"
    assert doc["media"]["document"]["name"] == "notes.txt"
    assert doc["media"]["document"]["size"] == len(DOC)
    assert summary["text"] == "document same=True photo jpeg=True size=True 64x40"
    # The user may download what the bot sent.
    link = await person.call("files.getFileUrl", file_id=doc["media"]["document"]["file_id"])
    async with httpx.AsyncClient() as client:
        assert (await client.get(person.server.url + link["path"])).content == DOC
    payload = b"user's own bytes " * 50
    await upload_and_send(person, bot_id, payload, "mine.txt")
    got = await person.reply_from(bot_id, 4, timeout=20)
    assert got[3]["text"] == f"sha {hashlib.sha256(payload).hexdigest()} mine.txt hash it"


# ---- python-telegram-bot 22 ----------------------------------------------------------------------

async def test_ptb_file_bot(server, people) -> None:
    from telegram import Update
    from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

    alice = await people("Alice")
    bot_id, token = new_bot(server, "ptb_files_bot", alice.id)

    async def files(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sent = await update.message.reply_photo(png(), caption="a photo")
        doc = await update.message.reply_document(io.BytesIO(DOC), filename="notes.txt")
        doc_bytes = await (await doc.document.get_file()).download_as_bytearray()
        big = sent.photo[-1]
        photo_bytes = await (await big.get_file()).download_as_bytearray()
        await update.message.reply_text(report(bytes(doc_bytes), bytes(photo_bytes),
                                               big.file_size, big.width, big.height))

    async def hash_it(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        document = update.message.document
        data = await (await document.get_file()).download_as_bytearray()
        await update.message.reply_text(f"sha {hashlib.sha256(data).hexdigest()} "
                                        f"{document.file_name} {update.message.caption}")

    app = (Application.builder().token(token).base_url(f"{server.url}/bot")
           .base_file_url(f"{server.url}/file/bot").build())
    app.add_handler(CommandHandler("files", files))
    app.add_handler(MessageHandler(filters.Document.ALL, hash_it))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await converse(alice, bot_id)
        finally:
            await app.updater.stop()
            await app.stop()


# ---- aiogram 3 -----------------------------------------------------------------------------------

async def test_aiogram_file_bot(server, people) -> None:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import Command
    from aiogram.types import BufferedInputFile, Message

    alice = await people("Alice")
    bot_id, token = new_bot(server, "aiogram_files_bot", alice.id)
    dp = Dispatcher()
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))

    async def fetch(file_id: str) -> bytes:
        info = await bot.get_file(file_id)
        out = await bot.download_file(info.file_path)
        assert out is not None
        return out.getvalue()

    @dp.message(Command("files"))
    async def files(message: Message) -> None:
        sent = await message.answer_photo(BufferedInputFile(png(), "pic.png"), caption="a photo")
        doc = await message.answer_document(BufferedInputFile(DOC, "notes.txt"))
        big = sent.photo[-1]
        await message.answer(report(await fetch(doc.document.file_id), await fetch(big.file_id),
                                    big.file_size, big.width, big.height))

    @dp.message(F.document)
    async def hash_it(message: Message) -> None:
        data = await fetch(message.document.file_id)
        await message.answer(f"sha {hashlib.sha256(data).hexdigest()} "
                             f"{message.document.file_name} {message.caption}")

    task = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False))
    try:
        await converse(alice, bot_id)
    finally:
        await dp.stop_polling()
        await task
        await bot.session.close()


# ---- pyTelegramBotAPI 4 (sync and async) --------------------------------------------------------

async def test_telebot_sync_file_bot(server, people) -> None:
    import telebot
    from telebot import apihelper

    alice = await people("Alice")
    bot_id, token = new_bot(server, "telebot_files_bot", alice.id)
    saved = apihelper.API_URL, apihelper.FILE_URL
    apihelper.API_URL = server.url + "/bot{0}/{1}"
    apihelper.FILE_URL = server.url + "/file/bot{0}/{1}"
    try:
        bot = telebot.TeleBot(token, threaded=False)

        def fetch(file_id: str) -> bytes:
            return bot.download_file(bot.get_file(file_id).file_path)  # type: ignore[no-any-return]

        @bot.message_handler(commands=["files"])
        def files(message: Any) -> None:
            sent = bot.send_photo(message.chat.id, png(), caption="a photo")
            doc = bot.send_document(message.chat.id, DOC, visible_file_name="notes.txt")
            big = sent.photo[-1]
            bot.send_message(message.chat.id, report(fetch(doc.document.file_id),
                                                     fetch(big.file_id), big.file_size,
                                                     big.width, big.height))

        @bot.message_handler(content_types=["document"])
        def hash_it(message: Any) -> None:
            data = fetch(message.document.file_id)
            bot.send_message(message.chat.id, f"sha {hashlib.sha256(data).hexdigest()} "
                                              f"{message.document.file_name} {message.caption}")

        thread = threading.Thread(target=bot.polling, daemon=True,
                                  kwargs={"non_stop": True, "timeout": 1, "long_polling_timeout": 1})
        thread.start()
        try:
            await converse(alice, bot_id)
        finally:
            bot.stop_polling()
            await asyncio.to_thread(thread.join, 10)
    finally:
        apihelper.API_URL, apihelper.FILE_URL = saved


async def test_telebot_async_file_bot(server, people) -> None:
    from telebot import asyncio_helper
    from telebot.async_telebot import AsyncTeleBot

    alice = await people("Alice")
    bot_id, token = new_bot(server, "telebot_async_files_bot", alice.id)
    saved = asyncio_helper.API_URL, asyncio_helper.FILE_URL
    asyncio_helper.API_URL = server.url + "/bot{0}/{1}"
    asyncio_helper.FILE_URL = server.url + "/file/bot{0}/{1}"
    try:
        bot = AsyncTeleBot(token)

        async def fetch(file_id: str) -> bytes:
            return await bot.download_file((await bot.get_file(file_id)).file_path)  # type: ignore[no-any-return]

        @bot.message_handler(commands=["files"])
        async def files(message: Any) -> None:
            sent = await bot.send_photo(message.chat.id, png(), caption="a photo")
            doc = await bot.send_document(message.chat.id, DOC, visible_file_name="notes.txt")
            big = sent.photo[-1]
            await bot.send_message(message.chat.id, report(
                await fetch(doc.document.file_id), await fetch(big.file_id), big.file_size,
                big.width, big.height))

        @bot.message_handler(content_types=["document"])
        async def hash_it(message: Any) -> None:
            data = await fetch(message.document.file_id)
            await bot.send_message(message.chat.id,
                                   f"sha {hashlib.sha256(data).hexdigest()} "
                                   f"{message.document.file_name} {message.caption}")

        task = asyncio.create_task(bot.polling(non_stop=True, timeout=1))
        try:
            await converse(alice, bot_id)
        finally:
            bot._polling = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(task, 10)
            await wait_for(lambda: task.done(), 10)
    finally:
        asyncio_helper.API_URL, asyncio_helper.FILE_URL = saved
