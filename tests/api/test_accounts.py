"""Accounts over the real API: sign-in codes, the two-step password, authorizations, profile,
usernames, contacts, presence and typing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from typing import Any

import pytest
import websockets
from helpers import client, raises, raw_post, wait_for

from steppe.client import Device, Http


async def _send_code(api: Http, phone: str) -> dict[str, Any]:
    return await api.call("auth.sendCode", phone=phone)  # type: ignore[no-any-return]


def _fetch(server: Any, sql: str, *args: object) -> list[Any]:
    async def op(db: Any) -> list[Any]:
        return [tuple(r) for r in await db.fetch(sql, *args)]

    return server.run(server.app.core.store.database.read(op))  # type: ignore[no-any-return]


# ---- sign-in with a code -------------------------------------------------------------------------

async def test_send_code_sign_in_sign_up_normalises_phone(server, http_pool) -> None:
    api = server.http()
    http_pool.append(api)
    sent = await _send_code(api, "+7 (701) 555-12-34")
    assert sent["phone"] == "+77015551234"
    assert sent["length"] == 5 and sent["timeout"] == 300
    code = server.codes.codes["+77015551234"]
    args = {"phone": "+7 701 555 1234", "phone_code_hash": sent["phone_code_hash"]}
    assert await api.call("auth.signIn", code=code, **args) == {"sign_up_required": True}
    done = await api.call("auth.signUp", first_name="Aigerim", last_name="S", **args)
    assert done["user"]["phone"] == "+77015551234" and done["user"]["is_self"]
    assert done["user"]["first_name"] == "Aigerim"
    account = server.run(server.app.core.store.get_account(done["user"]["id"]))
    assert (account.user.phone, account.country) == ("+77015551234", "KZ")

    ru = await server.user("Ivan", phone="+7 912 345-67-89")
    account = server.run(server.app.core.store.get_account(ru["user"]["id"]))
    assert (account.user.phone, account.country) == ("+79123456789", "RU")

    # Signing in again with the same number finds the same account: no sign-up.
    again = await server.user("ignored", phone="79123456789")
    assert again["user"]["id"] == ru["user"]["id"] and again["user"]["first_name"] == "Ivan"
    assert again["token"] != ru["token"]


async def test_invalid_phone_is_refused(server, http_pool) -> None:
    api = server.http()
    http_pool.append(api)
    for bad in ("12", "+7 000", "hello", "+800 1234 5678", "1" * 40):
        await raises(api.call("auth.sendCode", phone=bad), "PHONE_NUMBER_INVALID")


async def test_wrong_code_then_too_many_tries(server, http_pool) -> None:
    api = server.http()
    http_pool.append(api)
    phone = server.new_phone()
    sent = await _send_code(api, phone)
    code = server.codes.codes[phone]
    wrong = f"{(int(code) + 1) % 100000:05d}"
    args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"]}
    for _ in range(5):
        await raises(api.call("auth.signIn", code=wrong, **args), "PHONE_CODE_INVALID")
    await raises(api.call("auth.signIn", code=code, **args), "PHONE_CODE_EXPIRED")
    # A new code starts over.
    sent = await _send_code(api, phone)
    args["phone_code_hash"] = sent["phone_code_hash"]
    assert await api.call("auth.signIn", code=server.codes.codes[phone], **args) == {
        "sign_up_required": True}


async def test_code_expires_after_five_minutes(clocked_server, http_pool) -> None:
    server, clock = clocked_server
    api = server.http()
    http_pool.append(api)
    phone = server.new_phone()
    sent = await _send_code(api, phone)
    clock.advance(301)
    await raises(api.call("auth.signIn", phone=phone, phone_code_hash=sent["phone_code_hash"],
                          code=server.codes.codes[phone]), "PHONE_CODE_EXPIRED")
    sent = await _send_code(api, phone)
    clock.advance(299)
    assert await api.call("auth.signIn", phone=phone, phone_code_hash=sent["phone_code_hash"],
                          code=server.codes.codes[phone]) == {"sign_up_required": True}


async def test_code_is_single_use_and_bound_to_its_phone(server, http_pool) -> None:
    api = server.http()
    http_pool.append(api)
    user = await server.user("Alice")
    phone = user["user"]["phone"]
    sent = await _send_code(api, phone)
    code = server.codes.codes[phone]
    args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"], "code": code}
    other = server.new_phone()
    await raises(api.call("auth.signIn", **{**args, "phone": other}), "PHONE_CODE_HASH_INVALID")
    await raises(api.call("auth.signIn", **{**args, "phone_code_hash": "nope"}),
                 "PHONE_CODE_HASH_INVALID")
    signed = await api.call("auth.signIn", **args)
    assert signed["user"]["id"] == user["user"]["id"]
    await raises(api.call("auth.signIn", **args), "PHONE_CODE_EXPIRED")
    # Sign-up needs a verified code: a code that was only sent is not enough.
    fresh = server.new_phone()
    sent = await _send_code(api, fresh)
    await raises(api.call("auth.signUp", phone=fresh, phone_code_hash=sent["phone_code_hash"],
                          first_name="X"), "PHONE_CODE_EMPTY")


async def test_codes_are_stored_hashed(server, http_pool) -> None:
    api = server.http()
    http_pool.append(api)
    phone = server.new_phone()
    await _send_code(api, phone)
    code = server.codes.codes[phone]
    rows = _fetch(server, "SELECT * FROM login_codes WHERE phone = $1", phone)
    assert len(rows) == 1
    assert not any(code in str(value) for value in rows[0])
    # Nor can the code be found by hashing all 100,000 candidates: the hash is keyed by a
    # server secret that is not in the row.
    hash_id = rows[0][0]
    plain = hashlib.sha256(f"{hash_id}:{code}".encode()).hexdigest()
    assert plain not in [str(value) for value in rows[0]]
    key = _fetch(server, "SELECT value FROM secrets WHERE name = $1", "login_codes")[0][0]
    keyed = hmac.new(bytes.fromhex(key), f"{hash_id}:{code}".encode(), hashlib.sha256).hexdigest()
    assert keyed in [str(value) for value in rows[0]]


# ---- the two-step password -----------------------------------------------------------------------

async def test_two_step_password(clocked_server, http_pool) -> None:
    server, clock = clocked_server  # codes to one number are rate limited: 3, then one per 30 s
    alice = await server.user("Alice")
    phone = alice["user"]["phone"]
    api = server.http(alice["token"])
    anon = server.http()
    http_pool += [api, anon]
    assert await api.call("account.getPassword") == {"has_password": False, "hint": ""}
    await raises(api.call("account.updatePasswordSettings", new_password="pw", hint="pw"),
                 "PASSWORD_HINT_INVALID")
    assert await api.call("account.updatePasswordSettings", new_password="correct horse",
                          hint="horse") == {"has_password": True}
    assert await api.call("account.getPassword") == {"has_password": True, "hint": "horse"}

    sent = await _send_code(anon, phone)
    args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"]}
    err = await raises(anon.call("auth.signIn", code=server.codes.codes[phone], **args),
                       "SESSION_PASSWORD_NEEDED", 401)
    assert err.message == "horse"
    await raises(anon.call("auth.checkPassword", password="wrong", **args), "PASSWORD_HASH_INVALID")
    done = await anon.call("auth.checkPassword", password="correct horse", **args)
    assert done["user"]["id"] == alice["user"]["id"] and done["token"]
    await raises(anon.call("auth.checkPassword", password="correct horse", **args),
                 "PHONE_CODE_EXPIRED")

    # Changing or removing it needs the current one.
    await raises(api.call("account.updatePasswordSettings", new_password="new"),
                 "PASSWORD_HASH_INVALID")
    await raises(api.call("account.updatePasswordSettings", current_password="nope",
                          new_password="new"), "PASSWORD_HASH_INVALID")
    await api.call("account.updatePasswordSettings", current_password="correct horse",
                   new_password="battery")
    again = await server.user(phone=phone, password="battery")
    assert again["user"]["id"] == alice["user"]["id"]
    assert await api.call("account.updatePasswordSettings", current_password="battery",
                          new_password=None) == {"has_password": False}
    assert await api.call("account.getPassword") == {"has_password": False, "hint": ""}
    await raises(_send_code(anon, phone), "FLOOD_WAIT_30", 420)
    clock.advance(30)
    sent = await _send_code(anon, phone)
    signed = await anon.call("auth.signIn", phone=phone, phone_code_hash=sent["phone_code_hash"],
                             code=server.codes.codes[phone])
    assert signed["user"]["id"] == alice["user"]["id"]


async def test_check_password_without_a_code_is_refused(server, http_pool) -> None:
    anon = server.http()
    http_pool.append(anon)
    phone = server.new_phone()
    sent = await _send_code(anon, phone)
    await raises(anon.call("auth.checkPassword", phone=phone, password="x",
                           phone_code_hash=sent["phone_code_hash"]), "PHONE_CODE_EMPTY")


# ---- authorizations ------------------------------------------------------------------------------

async def test_authorizations_list_and_terminate(server, http_pool) -> None:
    first = await server.user("Alice")
    phone = first["user"]["phone"]
    second = await server.user(phone=phone)
    third = await server.user(phone=phone)
    api = server.http(first["token"])
    http_pool.append(api)
    auths = await api.call("account.getAuthorizations")
    assert [a["id"] for a in auths] == [x["authorization"]["id"] for x in (first, second, third)]
    for a in auths:
        assert a["user_id"] == first["user"]["id"]
        assert a["device"].startswith("python-httpx") and a["ip"] == "127.0.0.1"
        assert a["created"] > 0 and a["last_active"] >= a["created"]
    assert [a.get("current", False) for a in auths] == [True, False, False]

    # Terminating one: its HTTP token is refused at once and its open socket is closed.
    dev2 = await server.device(second["token"], reconnect=True)
    dev3 = await server.device(third["token"])
    assert await api.call("account.resetAuthorization", id=second["authorization"]["id"]) is True
    await raises(client(http_pool, server, second["token"]).call("updates.getState"),
                 "AUTH_KEY_UNREGISTERED", 401)
    await wait_for(lambda: not dev2.connected.is_set())
    assert dev2.disconnects >= 1  # a refused attempt to come back counts as well
    # A device that tries to come back is refused, and stops trying.
    await wait_for(lambda: dev2._reconnecting is not None and dev2._reconnecting.done())
    assert not dev2.connected.is_set() and dev2._ws.close_code == 1000
    assert dev3.connected.is_set()
    await raises(api.call("account.resetAuthorization", id=second["authorization"]["id"]),
                 "HASH_INVALID")

    # Someone else's authorization cannot be touched.
    bob = await server.user("Bob")
    await raises(api.call("account.resetAuthorization", id=bob["authorization"]["id"]),
                 "HASH_INVALID")
    assert await client(http_pool, server, bob["token"]).call("updates.getState")

    # Terminating all others leaves only this one.
    gone = await api.call("auth.resetAuthorizations")
    assert gone == [third["authorization"]["id"]]
    await wait_for(lambda: not dev3.connected.is_set())
    assert dev3._ws.close_code == 4001
    await raises(client(http_pool, server, third["token"]).call("updates.getState"),
                 "AUTH_KEY_UNREGISTERED", 401)
    assert [a["id"] for a in await api.call("account.getAuthorizations")] == [
        first["authorization"]["id"]]
    await dev2.close()
    await dev3.close()


async def test_log_out_ends_the_token(server, http_pool) -> None:
    alice = await server.user("Alice")
    api = server.http(alice["token"])
    http_pool.append(api)
    assert await api.call("auth.logOut") is True
    await raises(api.call("updates.getState"), "AUTH_KEY_UNREGISTERED", 401)


async def test_log_out_over_websocket_answers_then_closes(server, http_pool) -> None:
    alice = await server.user("Alice")
    dev = await server.device(alice["token"])
    try:
        assert await dev.call("auth.logOut") is True
        await wait_for(lambda: not dev.connected.is_set())
    finally:
        await dev.close()
    api = server.http(alice["token"])
    http_pool.append(api)
    await raises(api.call("updates.getState"), "AUTH_KEY_UNREGISTERED", 401)


async def test_sign_in_records_app_and_device(server) -> None:
    phone = server.new_phone()
    status, body = await raw_post(server.url, "auth.sendCode", f'{{"phone":"{phone}"}}')
    assert status == 200
    code = server.codes.codes[phone]
    args = (f'{{"phone":"{phone}","phone_code_hash":"{body["result"]["phone_code_hash"]}",'
            f'"code":"{code}"}}')
    assert (await raw_post(server.url, "auth.signIn", args))[1]["result"]["sign_up_required"]
    body_up = args.replace(f',"code":"{code}"', ',"first_name":"Web"')
    status, body = await raw_post(server.url, "auth.signUp", body_up,
                                  headers={"x-steppe-app": "Steppe Web 1.0",
                                           "user-agent": "Firefox"})
    assert status == 200
    api = server.http(body["result"]["token"])
    auths = await api.call("account.getAuthorizations")
    assert (auths[0]["app"], auths[0]["device"]) == ("Steppe Web 1.0", "Firefox")
    await api.close()


async def test_sign_in_over_the_websocket(server) -> None:
    """Signing in on a socket makes that socket the new authorization's: events flow on it."""
    alice = await server.user("Alice")
    dev = await server.device(alice["token"])
    ws = Device(server.url, "unused")
    ws._ws = await websockets.connect(ws.url, max_size=None, ping_interval=None)
    events: list[dict[str, Any]] = []
    ws.on_event = events.append
    ws._reader = asyncio.get_running_loop().create_task(ws._read(ws._ws))
    phone = server.new_phone()
    sent = await ws.call("auth.sendCode", phone=phone)
    args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"]}
    assert await ws.call("auth.signIn", code=server.codes.codes[phone], **args) == {
        "sign_up_required": True}
    bob = await ws.call("auth.signUp", first_name="Bob", **args)
    assert bob["authorization"]["device"].startswith("Python/")
    state = await ws.call("updates.getState")
    assert state["seq"] == 1  # its own new_authorization
    ws.seq, ws.pts = state["seq"], {}
    await dev.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]}, text="hi Bob")
    await wait_for(lambda: any(e["type"] == "new_message" for e in events))
    await ws.close()
    await dev.close()


# ---- profile, usernames, contacts ----------------------------------------------------------------

async def test_profile_names_and_bio(server, http_pool) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    api = server.http(alice["token"])
    http_pool.append(api)
    me = await api.call("account.updateProfile", first_name=" Alia ", last_name="Nur",
                        about="Almaty")
    assert (me["first_name"], me["last_name"], me["bio"]) == ("Alia", "Nur", "Almaty")
    await raises(api.call("account.updateProfile", first_name=""), "FIRSTNAME_INVALID")
    await raises(api.call("account.updateProfile", first_name="x" * 65), "FIRSTNAME_INVALID")
    await raises(api.call("account.updateProfile", about="x" * 71), "ABOUT_TOO_LONG")
    b = client(http_pool, server, bob["token"])
    seen = (await b.call("users.getUsers", ids=[alice["user"]["id"]]))[0]
    assert (seen["first_name"], seen["last_name"], seen["bio"]) == ("Alia", "Nur", "Almaty")


async def test_usernames(server, http_pool) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    a, b = server.http(alice["token"]), server.http(bob["token"])
    http_pool += [a, b]
    for bad in ("abcd", "a" * 33, "1alice", "_alice", "alice_", "al__ice", "ali ce", "alicé"):
        await raises(a.call("account.updateUsername", username=bad), "USERNAME_INVALID")
    assert await a.call("account.checkUsername", username="Alice_01") is True
    me = await a.call("account.updateUsername", username="Alice_01")
    assert me["username"] == "Alice_01"
    assert await b.call("account.checkUsername", username="alice_01") is False
    await raises(b.call("account.updateUsername", username="ALICE_01"), "USERNAME_OCCUPIED")
    found = await b.call("contacts.resolveUsername", username="@alice_01")
    assert found["id"] == alice["user"]["id"] and "phone" not in found
    await b.call("account.updateUsername", username="alibek")
    hits = await b.call("contacts.search", q="ali")
    assert [u["id"] for u in hits] == [bob["user"]["id"], alice["user"]["id"]]  # by username
    assert [u["id"] for u in await b.call("contacts.search", q="@alib")] == [bob["user"]["id"]]
    assert await b.call("contacts.search", q="zzz") == []
    # The page size is clamped to 1..50: a negative one is no way round it.
    assert len(await b.call("contacts.search", q="ali", limit=-1)) == 1
    assert len(await b.call("contacts.search", q="ali", limit=0)) == 1
    # Changing frees the old name; removing frees it too.
    await a.call("account.updateUsername", username="alice_new")
    await raises(b.call("contacts.resolveUsername", username="alice_01"), "USERNAME_NOT_OCCUPIED")
    me = await a.call("account.updateUsername", username="")
    assert "username" not in me
    await raises(b.call("contacts.resolveUsername", username="alice_new"), "USERNAME_NOT_OCCUPIED")
    assert (await b.call("account.updateUsername", username="Alice_New"))["username"] == "Alice_New"


async def test_contacts_and_phone_visibility(server, http_pool) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    carol = await server.user("Carol")
    a, b = server.http(alice["token"]), server.http(bob["token"])
    http_pool += [a, b]
    bob_id, carol_id = bob["user"]["id"], carol["user"]["id"]
    assert "phone" not in (await a.call("users.getUsers", ids=[bob_id]))[0]
    assert (await a.call("users.getUsers", ids=[alice["user"]["id"]]))[0]["phone"] == \
        alice["user"]["phone"]
    added = await a.call("contacts.addContact", user_id=bob_id, first_name="Bobby")
    assert added["phone"] == bob["user"]["phone"] and added["is_contact"]
    await raises(a.call("contacts.addContact", user_id=alice["user"]["id"]), "CONTACT_ID_INVALID")
    await raises(a.call("contacts.addContact", user_id=10**9), "USER_ID_INVALID")
    # The phone is the contact's to see, not the other way round.
    assert "phone" not in (await b.call("users.getUsers", ids=[alice["user"]["id"]]))[0]

    got = await a.call("contacts.importContacts", contacts=[
        {"phone": carol["user"]["phone"].replace("+", ""), "first_name": "C"},
        {"phone": "+7 701 999 99 99"}, {"phone": "garbage"}])
    assert [u["id"] for u in got["imported"]] == [carol_id]
    assert got["not_found"] == ["+7 701 999 99 99", "garbage"]
    listed = await a.call("contacts.getContacts")
    assert sorted(u["id"] for u in listed) == sorted([bob_id, carol_id])
    assert all(u["phone"] for u in listed)

    assert await a.call("contacts.deleteContacts", ids=[bob_id]) is True
    assert [u["id"] for u in await a.call("contacts.getContacts")] == [carol_id]
    assert "phone" not in (await a.call("users.getUsers", ids=[bob_id]))[0]


# ---- presence and typing -------------------------------------------------------------------------

async def test_online_status_reaches_private_chat_peer(server) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    bob_id = bob["user"]["id"]
    a = await server.device(alice["token"])
    await a.call("messages.sendMessage", peer={"user_id": bob_id}, text="hi")
    stranger = await server.user("Stranger")
    s = await server.device(stranger["token"])

    def statuses(dev: Any) -> list[bool]:
        return [e["online"] for e in dev.events if e["type"] == "user_status"
                and e["user_id"] == bob_id]

    b = await server.device(bob["token"])
    await wait_for(lambda: statuses(a) == [True])
    assert (await a.call("users.getUsers", ids=[bob_id]))[0]["online"] is True
    await b.close()
    await wait_for(lambda: statuses(a) == [True, False])
    user = (await a.call("users.getUsers", ids=[bob_id]))[0]
    assert user.get("online", False) is False and user["last_seen"] > 0
    # Asking to look offline works too; strangers hear nothing.
    b = await server.device(bob["token"])
    await wait_for(lambda: statuses(a) == [True, False, True])
    await b.call("account.updateStatus", offline=True)
    await wait_for(lambda: statuses(a) == [True, False, True, False])
    assert statuses(s) == []
    for dev in (a, b, s):
        await dev.close()


async def test_profile_change_reaches_private_chat_peer(server) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    bob_id = bob["user"]["id"]
    a = await server.device(alice["token"])
    stranger = await server.device((await server.user("Stranger"))["token"])
    await a.call("messages.sendMessage", peer={"user_id": bob_id}, text="hi")
    b = await server.device(bob["token"])
    await b.call("account.updateProfile", first_name="Robert")
    await b.call("account.updateUsername", username="robert_b")

    def seen(dev: Any) -> list[dict[str, Any]]:
        return [e["user"] for e in dev.events if e["type"] == "user_update"]

    await wait_for(lambda: len(seen(a)) == 2)
    assert seen(a)[-1]["first_name"] == "Robert" and seen(a)[-1]["username"] == "robert_b"
    assert all("phone" not in u for u in seen(a))
    assert seen(stranger) == []
    for dev in (a, b, stranger):
        await dev.close()


async def test_typing_reaches_other_members(server) -> None:
    users = [await server.user(n) for n in ("Alice", "Bob", "Carol", "Dan")]
    devs = [await server.device(u["token"]) for u in users]
    group = await devs[0].call("messages.createChat", title="Team",
                               user_ids=[u["user"]["id"] for u in users[1:3]])
    await wait_for(lambda: all(group["id"] in d.pts for d in devs[:3]))
    assert await devs[1].call("messages.setTyping", peer={"chat_id": group["id"]}) is True

    def typing(dev: Any) -> list[dict[str, Any]]:
        return [e for e in dev.events if e["type"] == "typing"]

    await wait_for(lambda: len(typing(devs[0])) == 1 and len(typing(devs[2])) == 1)
    assert typing(devs[0])[0] == {"type": "typing", "chat_id": group["id"],
                                  "user_id": users[1]["user"]["id"], "action": "typing"}
    await raises(devs[1].call("messages.setTyping", peer={"chat_id": group["id"]},
                              action="dancing"), "SEND_MESSAGE_TYPE_INVALID")
    await raises(devs[3].call("messages.setTyping", peer={"chat_id": group["id"]}),
                 "PEER_ID_INVALID")
    # Private chat typing.
    await devs[3].call("messages.sendMessage", peer={"user_id": users[0]["user"]["id"]}, text="yo")
    await devs[3].call("messages.setTyping", peer={"user_id": users[0]["user"]["id"]},
                       action="cancel")
    await wait_for(lambda: any(e["action"] == "cancel" for e in typing(devs[0])))
    assert typing(devs[3]) == [e for e in typing(devs[3]) if e["user_id"] == users[3]["user"]["id"]]
    assert not any(e["chat_id"] != group["id"] for e in typing(devs[1]))
    for dev in devs:
        await dev.close()


async def test_unknown_user_lookups(server, http_pool) -> None:
    alice = await server.user("Alice")
    api = server.http(alice["token"])
    http_pool.append(api)
    assert await api.call("users.getUsers", ids=[10**9, alice["user"]["id"]]) != []
    assert [u["id"] for u in await api.call("users.getUsers", ids=[10**9])] == []
    await raises(api.call("contacts.resolveUsername", username="nobody_here"),
                 "USERNAME_NOT_OCCUPIED")
    await raises(api.call("contacts.search", q=" @ "), "SEARCH_QUERY_EMPTY")
    await raises(api.call("contacts.search", q="x" * 65), "SEARCH_QUERY_INVALID")


@pytest.mark.skipif(os.environ.get("STEPPE_TEST_DATABASE") == "postgres",
                    reason="traces the statements on the SQLite connection")
async def test_authorize_shows_oneself_without_reading_the_contacts(server, http_pool) -> None:
    """No one is their own contact, so a connection's authorize (which shows the user to
    themself) reads no contact list; showing someone else still does."""
    alice, bob = await server.user("Alice"), await server.user("Bob")
    api = server.http(alice["token"])
    http_pool.append(api)
    await api.call("contacts.addContact", user_id=bob["user"]["id"], first_name="Bobby")
    seen: list[str] = []
    conn = server.app.core.store.database._conn

    async def trace(on: bool) -> None:
        conn.set_trace_callback(seen.append if on else None)

    server.run(trace(True))
    try:
        dev = await server.device(alice["token"])
    finally:
        server.run(trace(False))
    try:
        me = dev.user
        assert me["id"] == alice["user"]["id"] and me["is_self"] and me["phone"]
        assert not me.get("is_contact")
        assert not [s for s in seen if "FROM contacts" in s], seen
        seen.clear()
        server.run(trace(True))
        try:
            other = (await dev.call("users.getUsers", ids=[bob["user"]["id"]]))[0]
        finally:
            server.run(trace(False))
        assert other["is_contact"] and other["phone"]
        assert [s for s in seen if "FROM contacts" in s]
    finally:
        await dev.close()


async def test_authorize_reads_the_token_then_the_rest_at_once(server, monkeypatch) -> None:
    """A connection's authorize makes two reads (each a pooled connection on PostgreSQL): the
    token, then the user's chats, private chats and account together; and it answers, joins the
    chats and tells the user's contacts they are online as before."""
    alice, bob = await server.user("Alice"), await server.user("Bob")
    bob_dev = await server.device(bob["token"])
    api = server.http(alice["token"])
    chat = await api.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]}, text="hi")
    server.app.services.auth._tokens.clear()  # the token is read, as on a node that never saw it
    database = server.app.core.store.database
    reads: list[str] = []
    read = database.read

    async def counted(op: Any) -> Any:
        reads.append(op.__qualname__)
        return await read(op)

    got: list[dict[str, Any]] = []
    ws = Device(server.url, alice["token"], on_event=got.append)
    ws._ws = await websockets.connect(ws.url, max_size=None, ping_interval=None)
    ws._reader = asyncio.get_running_loop().create_task(ws._read(ws._ws))
    monkeypatch.setattr(database, "read", counted)
    try:
        me = await ws.call("connection.authorize", token=alice["token"])
    finally:
        monkeypatch.setattr(database, "read", read)
    state = await ws.call("updates.getState")  # as Device.connect does next
    ws.seq, ws.pts = state["seq"], {int(k): v for k, v in state["chats"].items()}
    try:
        assert [r.split(".<locals>")[0] for r in reads] == [
            "Store.authorization_by_token", "ChatStore.session"]
        assert me["id"] == alice["user"]["id"] and me["is_self"] and me["online"]
        await wait_for(lambda: any(e.get("type") == "user_status" and e.get("online")
                                   and e.get("user_id") == alice["user"]["id"]
                                   for e in bob_dev.events))  # type: ignore[attr-defined]
        await bob_dev.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]},
                           text="you are on this socket's chats")
        await wait_for(lambda: any(e.get("chat_id") == chat["chat_id"] for e in got))
    finally:
        await ws.close()
        await bob_dev.close()
        await api.close()
