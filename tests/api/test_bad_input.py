"""Every bad input gets one error shape — HTTP: status + {"error": {"code", "type"}}; WebSocket:
{"id", "error"} — never a 500, and leaves nothing half-written behind."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest
import websockets
from helpers import client, raises, raw_post

from steppe.client import ws_url

LIMIT = 1 << 20


def _shape(status: int, body: dict[str, Any], code: int, type_: str) -> None:
    assert status == code, body
    assert set(body) == {"error"}
    assert {"code", "type"} <= set(body["error"]) <= {"code", "type", "message", "retry_after"}
    assert (body["error"]["code"], body["error"]["type"]) == (code, type_)


async def _ws(server: Any, token: str | None = None) -> Any:
    ws = await websockets.connect(ws_url(server.url), max_size=None, ping_interval=None)
    if token:
        await ws.send(msgspec.json.encode({"id": 0, "method": "connection.authorize",
                                           "params": {"token": token}}))
        assert "result" in msgspec.json.decode(await ws.recv())
    return ws


async def _frame(ws: Any, raw: str | bytes) -> dict[str, Any]:
    await ws.send(raw)
    while True:
        frame = msgspec.json.decode(await ws.recv())
        if "update" not in frame:
            return frame  # type: ignore[no-any-return]


@pytest.fixture
async def alice(server) -> dict[str, Any]:
    return await server.user("Alice")  # type: ignore[no-any-return]


# ---- the envelope ----------------------------------------------------------------------------

async def test_http_envelope_errors(server, alice) -> None:
    token = alice["token"]
    url = server.url
    _shape(*await raw_post(url, "updates.getState", "{nope", token), 400, "JSON_INVALID")
    _shape(*await raw_post(url, "updates.getState", "[]", token), 400, "INPUT_INVALID")
    _shape(*await raw_post(url, "updates.getState", '"x"', token), 400, "INPUT_INVALID")
    _shape(*await raw_post(url, "no.suchMethod", "{}", token), 404, "METHOD_INVALID")
    _shape(*await raw_post(url, "messages.sendMessage", '{"text": "x"}', token), 400,
           "INPUT_INVALID")
    _shape(*await raw_post(url, "updates.getState", '{"extra": 1}', token), 400, "INPUT_INVALID")
    _shape(*await raw_post(url, "messages.sendMessage",
                           '{"peer": {"user_id": 1, "x": 2}, "text": "x"}', token),
           400, "INPUT_INVALID")
    _shape(*await raw_post(url, "messages.sendMessage", '{"peer": {"user_id": "1"}, "text": "x"}',
                           token), 400, "INPUT_INVALID")
    _shape(*await raw_post(url, "messages.getHistory", '{"peer": {"user_id": 1}, "limit": 1.5}',
                           token), 400, "INPUT_INVALID")
    _shape(*await raw_post(url, "messages.getHistory",
                           '{"peer": {"user_id": 1}, "direction": "sideways"}', token),
           400, "INPUT_INVALID")
    _shape(*await raw_post(url, "auth.sendCode", b"\xff\xfe", None), 400, "JSON_INVALID")
    # A lone surrogate is no text (it could not be stored as UTF-8).
    _shape(*await raw_post(url, "messages.sendMessage",
                           '{"peer": {"user_id": 1}, "text": "a\\ud800b"}', token),
           400, "JSON_INVALID")
    # Nesting too deep for the decoder is bad JSON, not a crash.
    deep = '{"peer": ' + "[" * 100_000 + "]" * 100_000 + ', "text": "x"}'
    _shape(*await raw_post(url, "messages.sendMessage", deep, token), 400, "INPUT_INVALID")
    _shape(*await raw_post(url, "updates.getState", "[" * 100_000, token), 400, "INPUT_INVALID")
    # An empty body is an empty object.
    status, body = await raw_post(url, "updates.getState", "", token)
    assert status == 200 and "seq" in body["result"]
    async with httpx.AsyncClient() as http:
        for verb in ("GET", "PUT", "DELETE"):
            resp = await http.request(verb, f"{url}/api/updates.getState")
            _shape(resp.status_code, resp.json(), 405, "METHOD_NOT_ALLOWED")
        resp = await http.get(f"{url}/api/x")
        _shape(resp.status_code, resp.json(), 405, "METHOD_NOT_ALLOWED")
        assert resp.headers["content-type"] == "application/json"


async def test_auth_errors(server, alice, http_pool) -> None:
    url = server.url
    _shape(*await raw_post(url, "updates.getState", "{}"), 401, "AUTH_KEY_UNREGISTERED")
    _shape(*await raw_post(url, "updates.getState", "{}", "not-a-token"), 401,
           "AUTH_KEY_UNREGISTERED")
    _shape(*await raw_post(url, "updates.getState", "{}", headers={"authorization": "Basic x"}),
           401, "AUTH_KEY_UNREGISTERED")
    other = await server.user(phone=alice["user"]["phone"])
    await client(http_pool, server, alice["token"]).call(
        "account.resetAuthorization", id=other["authorization"]["id"])
    _shape(*await raw_post(url, "updates.getState", "{}", other["token"]), 401,
           "AUTH_KEY_UNREGISTERED")
    # A refused token is refused even for a method that needs none.
    _shape(*await raw_post(url, "help.getConfig", "{}", other["token"]), 401,
           "AUTH_KEY_UNREGISTERED")
    status, body = await raw_post(url, "help.getConfig", "{}")
    assert status == 200 and body["result"]["message_max_chars"] == 4096


async def test_body_over_one_mebibyte(server, alice) -> None:
    url, token = server.url, alice["token"]
    big = '{"peer": {"user_id": 1}, "text": "' + "x" * LIMIT + '"}'
    _shape(*await raw_post(url, "messages.sendMessage", big, token), 413, "REQUEST_TOO_LARGE")

    async def chunks() -> Any:
        for _ in range(17):
            yield b" " * 65536

    # Without a declared length (chunked), the limit still holds.
    _shape(*await raw_post(url, "messages.sendMessage", chunks(), token), 413,  # type: ignore[arg-type]
           "REQUEST_TOO_LARGE")
    just = " " * (LIMIT - 2) + "{}"
    status, body = await raw_post(url, "updates.getState", just, token)
    assert status == 200


async def test_websocket_errors(server, alice) -> None:
    ws = await _ws(server)
    f = await _frame(ws, '{"id": 1, "method": "updates.getState"}')
    assert f == {"id": 1, "error": {"code": 401, "type": "AUTH_KEY_UNREGISTERED"}}
    f = await _frame(ws, '{"id": 2, "method": "connection.authorize", "params": {"token": "x"}}')
    assert f == {"id": 2, "error": {"code": 401, "type": "AUTH_KEY_UNREGISTERED"}}
    await ws.close()

    ws = await _ws(server, alice["token"])
    f = await _frame(ws, "{nope")
    assert f["id"] is None and f["error"]["type"] == "JSON_INVALID" and f["error"]["code"] == 400
    f = await _frame(ws, '{"id": 3, "method": "no.such"}')
    assert (f["id"], f["error"]["code"], f["error"]["type"]) == (3, 404, "METHOD_INVALID")
    f = await _frame(ws, '{"id": 4, "method": "messages.sendMessage", "params": {"text": "x"}}')
    assert (f["id"], f["error"]["type"]) == (4, "INPUT_INVALID")
    f = await _frame(ws, '{"id": 5, "method": "updates.getState", "params": {"x": 1}}')
    assert (f["id"], f["error"]["type"]) == (5, "INPUT_INVALID")
    f = await _frame(ws, '{"id": "s", "method": "updates.getState", "params": "x"}')
    assert (f["id"], f["error"]["type"]) == ("s", "INPUT_INVALID")
    f = await _frame(ws, '{"id": 6, "params": {}}')
    assert f["error"]["type"] == "INPUT_INVALID"
    f = await _frame(ws, '{"id": 7, "method": "messages.sendMessage", "params": '
                         '{"peer": {"user_id": 1}, "text": ""}}')
    assert (f["id"], f["error"]) == (7, {"code": 400, "type": "MESSAGE_EMPTY"})
    deep = "[" * 100_000 + "]" * 100_000
    f = await _frame(ws, '{"id": 10, "method": "updates.getState", "params": ' + deep + "}")
    assert f["error"]["code"] == 400 and f["error"]["type"] == "JSON_INVALID", f
    f = await _frame(ws, b'{"id": 8, "method": "updates.getState"}')  # a binary frame works too
    assert f["id"] == 8 and "seq" in f["result"]
    # The socket is still usable after every error.
    f = await _frame(ws, '{"id": 9, "method": "help.getConfig"}')
    assert f["id"] == 9 and "result" in f

    # A frame over the limit closes the socket with 1009 (message too big).
    await ws.send("x" * (LIMIT + 1))
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    ws = await _ws(server, alice["token"])  # the server is fine
    f = await _frame(ws, '{"id": 1, "method": "help.getConfig"}')
    assert "result" in f
    await ws.close()


# ---- message content ------------------------------------------------------------------------

async def test_message_content_errors_leave_no_trace(server, alice, http_pool) -> None:
    bob = await server.user("Bob")
    a = client(http_pool, server, alice["token"])
    peer = {"user_id": bob["user"]["id"]}
    first = await a.call("messages.sendMessage", peer=peer, text="ok")
    before_state = await a.call("updates.getState")
    before_history = await a.call("messages.getHistory", peer=peer)

    await raises(a.call("messages.sendMessage", peer=peer, text="x" * 4097), "MESSAGE_TOO_LONG")
    await raises(a.call("messages.sendMessage", peer=peer, text="😀" * 2049), "MESSAGE_TOO_LONG")
    await raises(a.call("messages.sendMessage", peer=peer, text=""), "MESSAGE_EMPTY")
    await raises(a.call("messages.sendMessage", peer=peer, text=" \n\t "), "MESSAGE_EMPTY")
    await raises(a.call("messages.sendMessage", peer=peer, text="a\x00b"), "MESSAGE_INVALID")
    await raises(a.call("messages.sendMessage", peer=peer, text="abc",
                        entities=[{"type": "bold", "offset": 2, "length": 2}]),
                 "ENTITY_BOUNDS_INVALID")
    await raises(a.call("messages.sendMessage", peer=peer, text="abc", reply_to=99),
                 "REPLY_MESSAGE_INVALID")
    await raises(a.call("messages.editMessage", peer=peer, id=first["id"], text="y" * 4097),
                 "MESSAGE_TOO_LONG")
    await raises(a.call("messages.editMessage", peer=peer, id=first["id"], text="abc",
                        entities=[{"type": "bold", "offset": 3, "length": 1}]),
                 "ENTITY_BOUNDS_INVALID")
    await raises(a.call("messages.sendMessage", peer=peer, text="x", random_id=5,
                        entities=[{"type": "bold", "offset": 0, "length": 9}]),
                 "ENTITY_BOUNDS_INVALID")
    sent = await a.call("messages.sendMessage", peer=peer, text="x" * 4096, random_id=5)
    assert len(sent["text"]) == 4096
    await a.call("messages.deleteMessages", peer=peer, ids=[sent["id"]])
    # Nothing above left a trace but the one good message and its deletion.
    state = await a.call("updates.getState")
    chat = str(first["chat_id"])
    assert state["seq"] == before_state["seq"]
    assert state["chats"][chat] == before_state["chats"][chat] + 2
    assert await a.call("messages.getHistory", peer=peer) == before_history


async def test_failed_first_send_creates_no_chat(server, alice, http_pool) -> None:
    bob = await server.user("Bob")
    a = client(http_pool, server, alice["token"])
    b = client(http_pool, server, bob["token"])
    peer = {"user_id": bob["user"]["id"]}
    for bad, error in (({"text": ""}, "MESSAGE_EMPTY"),
                       # a chat not started yet has nothing to reply to
                       ({"text": "x", "reply_to": 1}, "PEER_ID_INVALID"),
                       ({"text": "x", "entities": [{"type": "bold", "offset": 0, "length": 2}]},
                        "ENTITY_BOUNDS_INVALID")):
        await raises(a.call("messages.sendMessage", peer=peer, **bad), error)
    await raises(a.call("messages.forwardMessages", from_peer={"user_id": alice["user"]["id"]},
                        ids=[1], to_peer=peer), "PEER_ID_INVALID")
    saved = await a.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]}, text="s")
    await raises(a.call("messages.forwardMessages", from_peer={"user_id": alice["user"]["id"]},
                        ids=[2], to_peer=peer), "MESSAGE_ID_INVALID")
    assert [d["peer_user_id"] for d in (await a.call("messages.getDialogs"))["dialogs"]] == [
        alice["user"]["id"]]
    assert list((await a.call("updates.getState"))["chats"]) == [str(saved["chat_id"])]
    assert (await b.call("messages.getDialogs"))["dialogs"] == []
    assert (await b.call("updates.getState"))["chats"] == {}
    # A forward is all or nothing: a service message among the ids refuses the whole batch.
    group = await a.call("messages.createChat", title="G", user_ids=[bob["user"]["id"]])
    gpeer = {"chat_id": group["id"]}
    ok = await a.call("messages.sendMessage", peer=gpeer, text="fine")
    await raises(a.call("messages.forwardMessages", from_peer=gpeer, ids=[ok["id"], 1],
                        to_peer=peer), "MESSAGE_ID_INVALID")
    await raises(a.call("messages.forwardMessages", from_peer=gpeer, ids=[ok["id"], 99],
                        to_peer=peer), "MESSAGE_ID_INVALID")
    assert [d["chat"]["id"] for d in (await b.call("messages.getDialogs"))["dialogs"]] == [
        group["id"]]


# ---- peers and ids --------------------------------------------------------------------------

async def test_unknown_and_foreign_peers_look_the_same(server, alice, http_pool) -> None:
    bob = await server.user("Bob")
    carol = await server.user("Carol")
    b = client(http_pool, server, bob["token"])
    a = client(http_pool, server, alice["token"])
    secret = await b.call("messages.sendMessage", peer={"user_id": carol["user"]["id"]}, text="s")
    group = await b.call("messages.createChat", title="Private club", user_ids=[carol["user"]["id"]])
    calls = [
        ("messages.sendMessage", {"text": "x"}),
        ("messages.getHistory", {}),
        ("messages.getMessages", {"ids": [1]}),
        ("messages.getChat", {}),
        ("messages.readHistory", {}),
        ("messages.editMessage", {"id": 1, "text": "x"}),
        ("messages.deleteMessages", {"ids": [1]}),
        ("messages.updatePinnedMessage", {"id": 1}),
        ("messages.setTyping", {}),
        ("messages.toggleDialogPin", {}),
        ("messages.editChatTitle", {"title": "mine"}),
        ("messages.addChatUser", {"user_ids": [alice["user"]["id"]]}),
        ("messages.deleteChatUser", {"user_id": bob["user"]["id"]}),
        ("messages.leaveChat", {}),
    ]
    for chat_id in (secret["chat_id"], group["id"], 10**9, -5, 0, 2**60):
        for method, params in calls:
            err = await raises(a.call(method, peer={"chat_id": chat_id}, **params),
                               "PEER_ID_INVALID")
            assert err.message == "", (method, chat_id, err.message)
    for chat_id in (secret["chat_id"], 10**9):
        await raises(a.call("updates.getChatDifference", chat_id=chat_id, pts=0), "PEER_ID_INVALID")
    await raises(a.call("messages.forwardMessages", from_peer={"chat_id": group["id"]}, ids=[1],
                        to_peer={"user_id": bob["user"]["id"]}), "PEER_ID_INVALID")
    for user_id in (10**9, -1, 0, 2**62):
        await raises(a.call("messages.sendMessage", peer={"user_id": user_id}, text="x"),
                     "PEER_ID_INVALID")
        await raises(a.call("messages.getHistory", peer={"user_id": user_id}), "PEER_ID_INVALID")
    assert (await b.call("messages.getChat", peer={"chat_id": group["id"]}))["dialog"]["chat"][
        "title"] == "Private club"


async def test_out_of_range_ids(server, alice, http_pool) -> None:
    bob = await server.user("Bob")
    a = client(http_pool, server, alice["token"])
    peer = {"user_id": bob["user"]["id"]}
    msg = await a.call("messages.sendMessage", peer=peer, text="x")
    for bad in (-1, 0, 2**53, 2**60):
        await raises(a.call("messages.getMessages", peer=peer, ids=[bad]), "MESSAGE_ID_INVALID")
        await raises(a.call("messages.deleteMessages", peer=peer, ids=[bad]), "MESSAGE_ID_INVALID")
        await raises(a.call("messages.editMessage", peer=peer, id=bad, text="y"),
                     "MESSAGE_ID_INVALID")
        await raises(a.call("messages.updatePinnedMessage", peer=peer, id=bad),
                     "MESSAGE_ID_INVALID")
        await raises(a.call("messages.forwardMessages", from_peer=peer, ids=[bad], to_peer=peer),
                     "MESSAGE_ID_INVALID")
    for bad in (-1, 2**60):
        await raises(a.call("messages.getHistory", peer=peer, offset_id=bad), "MESSAGE_ID_INVALID")
        await raises(a.call("messages.readHistory", peer=peer, max_id=bad), "MESSAGE_ID_INVALID")
    await raises(a.call("messages.getMessages", peer=peer, ids=[]), "MESSAGE_ID_INVALID")
    await raises(a.call("messages.getMessages", peer=peer, ids=list(range(1, 102))),
                 "MESSAGE_ID_INVALID")
    await raises(a.call("messages.deleteMessages", peer=peer, ids=list(range(1, 102))),
                 "MESSAGE_ID_INVALID")
    await raises(a.call("users.getUsers", ids=list(range(201))), "LIMIT_INVALID")
    # Ids past 64 bits are refused at the edge rather than failing inside.
    huge = 2**64
    for method, params in (
        ("messages.getMessages", {"peer": peer, "ids": [huge]}),
        ("messages.getHistory", {"peer": {"chat_id": huge}}),
        ("messages.sendMessage", {"peer": {"user_id": huge}, "text": "x"}),
        ("messages.sendMessage", {"peer": peer, "text": "x", "reply_to": huge}),
        ("messages.sendMessage", {"peer": peer, "text": "x", "random_id": huge}),
        ("messages.sendMessage", {"peer": peer, "text": "x", "random_id": -huge}),
        ("users.getUsers", {"ids": [2**63]}),
        ("contacts.addContact", {"user_id": huge}),
        ("account.resetAuthorization", {"id": huge}),
        ("updates.getChatDifference", {"chat_id": huge, "pts": 0}),
        ("updates.getDifference", {"seq": huge}),
        ("messages.createChat", {"title": "t", "user_ids": [huge]}),
        ("messages.getDialogs", {"offset_date": huge}),
    ):
        status, body = await raw_post(server.url, method, msgspec.json.encode(params),
                                      alice["token"])
        assert status == 400, (method, body)
        assert body["error"]["type"] in ("INPUT_INVALID", "MESSAGE_ID_INVALID", "PEER_ID_INVALID",
                                         "PERSISTENT_TIMESTAMP_INVALID"), (method, body)
    history = await a.call("messages.getHistory", peer=peer)
    assert [m["id"] for m in history["messages"]] == [msg["id"]]


async def test_login_code_errors(clocked_server, http_pool) -> None:
    server, clock = clocked_server
    api = client(http_pool, server)
    phone = server.new_phone()
    sent = await api.call("auth.sendCode", phone=phone)
    code = server.codes.codes[phone]
    args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"]}
    _shape(*await raw_post(server.url, "auth.signIn",
                           msgspec.json.encode({**args, "code": "00000" if code != "00000"
                                                else "11111"})), 400, "PHONE_CODE_INVALID")
    assert await api.call("auth.signIn", code=code, **args) == {"sign_up_required": True}
    _shape(*await raw_post(server.url, "auth.signIn", msgspec.json.encode({**args, "code": code})),
           400, "PHONE_CODE_EXPIRED")
    sent = await api.call("auth.sendCode", phone=phone)
    clock.advance(301)
    _shape(*await raw_post(server.url, "auth.signIn", msgspec.json.encode(
        {"phone": phone, "phone_code_hash": sent["phone_code_hash"],
         "code": server.codes.codes[phone]})), 400, "PHONE_CODE_EXPIRED")
    # Asking for codes too often is flood-limited with a retry time.
    phone = server.new_phone()
    for _ in range(3):
        await api.call("auth.sendCode", phone=phone)
    status, body = await raw_post(server.url, "auth.sendCode", msgspec.json.encode({"phone": phone}))
    assert status == 429 and body["error"]["code"] == 420
    assert body["error"]["type"].startswith("FLOOD_WAIT_") and body["error"]["retry_after"] > 0
