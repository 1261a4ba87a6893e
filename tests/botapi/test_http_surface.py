"""The Bot API's HTTP surface: request shapes, the envelope and every error path, getUpdates
semantics, 409 and 429, and every emitted object checked against aiogram's models."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from botkit import api_id, bot_call, new_bot, polling, settled, supergroup, updates_when

ERROR_KEYS = {"ok", "error_code", "description"}


async def raw(server, path: str, method: str = "POST", **kw) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.request(method, server.url + path, **kw)


def check_error(resp: httpx.Response, code: int, prefix: str) -> dict:
    body = resp.json()
    assert resp.status_code == code == body["error_code"], body
    assert set(body) - {"parameters"} == ERROR_KEYS and body["ok"] is False
    assert body["description"].startswith(prefix), body
    assert resp.headers["content-type"] == "application/json"
    return body


async def test_request_shapes_and_envelope(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "shapes_bot", alice.id)
    await alice.say({"user_id": bot_id}, "hi")
    base = f"/bot{token}"
    # GET with the query string; POST without a body; case-insensitive names; form body on GET
    for resp in (await raw(server, base + "/getMe", "GET"), await raw(server, base + "/GETME"),
                 await raw(server, base + "/getme", "GET", content=b"x=1",
                           headers={"content-type": "application/x-www-form-urlencoded"}),
                 await raw(server, base + "/test/getMe"),
                 await raw(server, base + "/", params={"method": "getMe"})):
        assert resp.status_code == 200 and resp.json()["result"]["username"] == "shapes_bot"
    # query merged with a JSON body; objects as JSON values or as JSON text; lenient booleans
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
    for body in ({"text": "one", "reply_markup": markup, "disable_notification": True},
                 {"text": "two", "reply_markup": json.dumps(markup), "protect_content": "True"}):
        resp = await raw(server, base + "/sendMessage", params={"chat_id": alice.id}, json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json()["result"]["reply_markup"] == markup
    # multipart with text parts (aiogram sends each with its own content type)
    files = {"chat_id": (None, str(alice.id), "text/plain; charset=utf-8"),
             "text": (None, "multi", "text/plain; charset=utf-8")}
    resp = await raw(server, base + "/sendMessage", files=files)
    assert resp.json()["result"]["text"] == "multi"


async def test_error_envelope_for_every_error_path(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "errors_bot", alice.id)
    other_id, _ = new_bot(server, "other_errors_bot", alice.id)
    base = f"/bot{token}"
    check_error(await raw(server, "/bot123:wrongwrongwrongwrong/getMe"), 401, "Unauthorized")
    check_error(await raw(server, "/botnotatoken/getMe"), 401, "Unauthorized")
    check_error(await raw(server, base + "/noSuchMethod"), 404, "Not Found: method not found")
    check_error(await raw(server, base + "/sendMessage", data={"text": "x"}), 400,
                "Bad Request: chat_id is empty")
    check_error(await raw(server, base + "/sendMessage", data={"chat_id": alice.id}), 400,
                "Bad Request: message text is empty")
    check_error(await raw(server, base + "/sendMessage", data={"chat_id": alice.id, "text": "x"}),
                403, "Forbidden: bot can't initiate conversation with a user")
    check_error(await raw(server, base + "/sendMessage", data={"chat_id": other_id, "text": "x"}),
                403, "Forbidden: bot can't send messages to bots")
    check_error(await raw(server, base + "/sendMessage", data={"chat_id": -999, "text": "x"}),
                400, "Bad Request: chat not found")
    await alice.say({"user_id": bot_id}, "hello")
    ok = {"chat_id": alice.id}
    body = check_error(await raw(server, base + "/sendMessage", data={
        **ok, "text": "<b>bad", "parse_mode": "HTML"}), 400, "Bad Request: can't parse entities:")
    assert body["description"] == ("Bad Request: can't parse entities: Can't find end tag "
                                   "corresponding to start tag \"b\"")
    check_error(await raw(server, base + "/sendMessage", data={
        **ok, "text": "a.b", "parse_mode": "MarkdownV2"}), 400,
        "Bad Request: can't parse entities: Character '.' is reserved")
    check_error(await raw(server, base + "/sendMessage", data={**ok, "text": "x" * 5000}), 400,
                "Bad Request: message is too long")
    check_error(await raw(server, base + "/sendMessage", data={**ok, "text": "x",
                                                               "reply_markup": "{bad"}),
                400, "Bad Request: can't parse reply_markup JSON object")
    check_error(await raw(server, base + "/editMessageText", data={**ok, "message_id": 1,
                                                                   "text": "x"}),
                400, "Bad Request: message can't be edited")
    check_error(await raw(server, base + "/deleteMessage", data={**ok, "message_id": 99}), 400,
                "Bad Request: message to delete not found")
    check_error(await raw(server, base + "/answerCallbackQuery",
                          data={"callback_query_id": "1"}), 400,
                "Bad Request: query is too old and response timeout expired")
    check_error(await raw(server, base + "/sendChatAction", data={**ok, "action": "dancing"}),
                400, "Bad Request: wrong parameter action in request")
    check_error(await raw(server, base + "/banChatMember", data={**ok, "user_id": alice.id}),
                400, "Bad Request:")
    sent = (await raw(server, base + "/sendMessage", data={**ok, "text": "same"})).json()["result"]
    check_error(await raw(server, base + "/editMessageText", data={
        **ok, "message_id": sent["message_id"], "text": "same"}), 400,
        "Bad Request: message is not modified")
    check_error(await raw(server, base + "/setWebhook", data={"url": "ftp://x"}), 400,
                "Bad Request: bad webhook")


async def test_get_updates_offsets_limits_and_allowed_updates(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "offsets_bot", alice.id)
    for i in range(5):
        await alice.say({"user_id": bot_id}, f"m{i}")
    await updates_when(server, token, 5)
    _, body = await bot_call(server, token, "getUpdates", limit=2)
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 2 and ids[1] == ids[0] + 1
    _, body = await bot_call(server, token, "getUpdates", offset=ids[1] + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["m2", "m3", "m4"]
    _, body = await bot_call(server, token, "getUpdates")  # the confirmed ones are gone
    assert [u["message"]["text"] for u in body["result"]] == ["m2", "m3", "m4"]
    _, body = await bot_call(server, token, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["m4"]
    _, body = await bot_call(server, token, "getUpdates", offset=body["result"][0]["update_id"] + 1,
                             allowed_updates=json.dumps(["callback_query"]))
    assert body["result"] == []
    await alice.say({"user_id": bot_id}, "filtered out")
    settled(server)
    _, body = await bot_call(server, token, "getUpdates", allowed_updates="[]")
    assert body["result"] == []
    # long polling: held until an update arrives
    poll = asyncio.create_task(bot_call(server, token, "getUpdates", timeout=10))
    await polling(server, bot_id)
    assert not poll.done()
    await alice.say({"user_id": bot_id}, "wake up")
    _, body = await asyncio.wait_for(poll, 5)
    assert [u["message"]["text"] for u in body["result"]] == ["wake up"]
    # an empty long poll answers [] after its timeout
    _, body = await bot_call(server, token, "getUpdates", offset=body["result"][0]["update_id"] + 1,
                             timeout=1)
    assert body == {"ok": True, "result": []}


async def test_conflicts(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "conflict_bot", alice.id)
    first = asyncio.create_task(bot_call(server, token, "getUpdates", timeout=10))
    await polling(server, bot_id)
    second = asyncio.create_task(bot_call(server, token, "getUpdates", timeout=1))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409 and body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running")
    assert (await second)[0] == 200
    poll = asyncio.create_task(bot_call(server, token, "getUpdates", timeout=10))
    await polling(server, bot_id)
    await bot_call(server, token, "setWebhook", url="http://127.0.0.1:9/hook")
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 409 and body["description"] == "Conflict: terminated by setWebhook request"
    status, body = await bot_call(server, token, "getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    await bot_call(server, token, "deleteWebhook")


async def test_flood_limits_answer_429(server, people) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, "flood_bot", alice.id)
    await alice.say({"user_id": bot_id}, "spam me")
    statuses = []
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(25):
            resp = await client.post(f"{server.url}/bot{token}/sendMessage",
                                     data={"chat_id": alice.id, "text": f"n{i}"})
            statuses.append(resp.status_code)
            if resp.status_code == 429:
                body = resp.json()
                break
    assert statuses.count(200) >= 20 and statuses[-1] == 429
    assert body["description"].startswith("Too Many Requests: retry after ")
    assert isinstance(body["parameters"]["retry_after"], int)
    assert resp.headers["retry-after"] == str(body["parameters"]["retry_after"])


async def test_every_object_validates_against_aiogram(server, people) -> None:
    from aiogram.methods import (
        GetChat,
        GetChatAdministrators,
        GetChatMember,
        GetMe,
        GetUpdates,
        GetWebhookInfo,
        SendMessage,
        StopPoll,
    )
    from aiogram.methods.base import Response

    def valid(method: type, body: dict) -> None:
        assert body["ok"] is True, body
        Response[method.__returning__].model_validate(body)

    alice, bob = await people("Alice"), await people("Bob")
    bot_id, token = new_bot(server, "strict_bot", alice.id)
    group = await alice.call("messages.createChat", title="Strict", user_ids=[bob.id, bot_id])
    server.run(server.app.services.bots.accounts.store.set_role(group["id"], bot_id, "admin"))
    gid = -group["id"]
    first = await alice.say({"user_id": bot_id}, "/start deep")
    await alice.say({"user_id": bot_id}, "see https://example.org and @someone #tag",
                    reply_to=first["id"])
    await alice.call("messages.forwardMessages", from_peer={"user_id": bot_id},
                     ids=[first["id"]], to_peer={"user_id": bot_id})
    await bob.say({"chat_id": group["id"]}, "group talk")
    await alice.call("messages.editChatTitle", peer={"chat_id": group["id"]}, title="Stricter")
    sends = [
        ("sendMessage", {"chat_id": alice.id, "text": "<i>x</i> <a href='tg://user?id="
                         f"{alice.id}'>you</a>", "parse_mode": "HTML",
                         "reply_markup": json.dumps({"inline_keyboard": [[
                             {"text": "go", "callback_data": "go"}]]})}),
        ("sendMessage", {"chat_id": gid, "text": "keyboard", "reply_markup": json.dumps(
            {"keyboard": [[{"text": "A"}]], "resize_keyboard": True})}),
        ("sendLocation", {"chat_id": alice.id, "latitude": 43.2, "longitude": 76.9}),
        ("sendVenue", {"chat_id": alice.id, "latitude": 43.2, "longitude": 76.9,
                       "title": "Cafe", "address": "Abay 1"}),
        ("sendContact", {"chat_id": alice.id, "phone_number": "+77010000000",
                         "first_name": "Zed"}),
        ("sendDice", {"chat_id": alice.id, "emoji": "🎯"}),
        ("sendPoll", {"chat_id": gid, "question": "Tea?", "options": '["yes","no"]'}),
    ]
    sent = {}
    for name, params in sends:
        status, body = await bot_call(server, token, name, **params)
        valid(SendMessage, body)
        sent[name] = body["result"]
    press = asyncio.create_task(alice.call("messages.getBotCallbackAnswer",
                                           peer={"user_id": bot_id},
                                           msg_id=sent["sendMessage"]["message_id"], data="go"))
    body = await updates_when(server, token, 1, allowed_updates=json.dumps(
        ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]),
        until=lambda got: any("callback_query" in u for u in got))
    valid(GetUpdates, body)
    kinds = {k for u in body["result"] for k in u if k != "update_id"}
    assert {"message", "callback_query", "my_chat_member"} <= kinds
    query = next(u["callback_query"] for u in body["result"] if "callback_query" in u)
    await bot_call(server, token, "answerCallbackQuery", callback_query_id=query["id"])
    assert (await press)["message"] == ""
    _, body = await bot_call(server, token, "stopPoll", chat_id=gid,
                             message_id=sent["sendPoll"]["message_id"])
    valid(StopPoll, body)
    for method, name, params in (
            (GetMe, "getMe", {}), (GetWebhookInfo, "getWebhookInfo", {}),
            (GetChat, "getChat", {"chat_id": gid}), (GetChat, "getChat", {"chat_id": alice.id}),
            (GetChatAdministrators, "getChatAdministrators", {"chat_id": gid}),
            (GetChatMember, "getChatMember", {"chat_id": gid, "user_id": bob.id}),
            (GetChatMember, "getChatMember", {"chat_id": gid, "user_id": alice.id})):
        valid(method, (await bot_call(server, token, name, **params))[1])
    big = await supergroup(alice, "Super", [bob.id], admin_bot=bot_id)
    sgid = api_id(big)
    for method, name in ((GetChat, "getChat"), (GetChatAdministrators, "getChatAdministrators")):
        valid(method, (await bot_call(server, token, name, chat_id=sgid))[1])
    await bot_call(server, token, "restrictChatMember", chat_id=sgid, user_id=bob.id,
                   permissions=json.dumps({"can_send_messages": False}))
    _, body = await bot_call(server, token, "getChatMember", chat_id=sgid, user_id=bob.id)
    valid(GetChatMember, body)
    assert body["result"]["status"] == "restricted"
    assert body["result"]["can_send_messages"] is False
    await bot_call(server, token, "banChatMember", chat_id=sgid, user_id=bob.id)
    _, body = await bot_call(server, token, "getChatMember", chat_id=sgid, user_id=bob.id)
    valid(GetChatMember, body)
    assert body["result"]["status"] == "kicked"
    await bot_call(server, token, "banChatMember", chat_id=gid, user_id=bob.id)  # basic: removed
    _, body = await bot_call(server, token, "getChatMember", chat_id=gid, user_id=bob.id)
    assert body["result"]["status"] == "left"
    _, body = await bot_call(server, token, "getUpdates", allowed_updates=json.dumps(
        ["message", "chat_member", "my_chat_member"]))
    valid(GetUpdates, body)


@pytest.mark.parametrize("shape", ["get", "form"])
async def test_telebot_style_get_with_query(server, people, shape) -> None:
    alice = await people("Alice")
    bot_id, token = new_bot(server, f"get_{shape}_bot", alice.id)
    await alice.say({"user_id": bot_id}, "hi")
    params = {"chat_id": str(alice.id), "text": "via get", "disable_notification": "True"}
    if shape == "get":
        resp = await raw(server, f"/bot{token}/sendMessage", "GET", params=params)
    else:
        resp = await raw(server, f"/bot{token}/sendMessage", "GET", data=params)
    assert resp.status_code == 200 and resp.json()["result"]["text"] == "via get"
