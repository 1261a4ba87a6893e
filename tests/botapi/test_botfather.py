"""@BotFather from a user's client: create a bot, configure it, use its token, revoke, delete."""

from __future__ import annotations

from botkit import bot_call, wait_for


async def test_botfather_creates_and_manages_a_bot(server, people) -> None:
    alice = await people("Alice")
    father = await alice.call("contacts.resolveUsername", username="BotFather")
    assert father["is_bot"]
    chat = {"user_id": father["id"]}

    async def ask(text: str) -> dict:
        before = len(alice.messages_from(father["id"]))
        await alice.say(chat, text)
        await wait_for(lambda: len(alice.messages_from(father["id"])) > before)
        return alice.messages_from(father["id"])[-1]

    assert "/newbot" in (await ask("/start"))["text"]
    assert "choose a name" in (await ask("/newbot"))["text"]
    assert "choose a username" in (await ask("Weather"))["text"]
    assert "invalid" in (await ask("weather"))["text"]
    done = await ask("weather_kz_bot")
    code = next(e for e in done["entities"] if e["type"] == "code")
    token = done["text"][code["offset"]:code["offset"] + code["length"]]
    status, body = await bot_call(server, token, "getMe")
    assert body["result"]["username"] == "weather_kz_bot" and body["result"]["first_name"] == "Weather"
    assert "@weather_kz_bot" in (await ask("/mybots"))["text"]
    picker = await ask("/setcommands")
    assert picker["reply_markup"]["keyboard"] == [[{"text": "@weather_kz_bot"}]]
    await ask("@weather_kz_bot")
    assert "Success" in (await ask("today - Today's weather\nweek - The week ahead"))["text"]
    status, body = await bot_call(server, token, "getMyCommands")
    assert [c["command"] for c in body["result"]] == ["today", "week"]
    await ask("/setprivacy")
    assert (await ask("@weather_kz_bot"))["reply_markup"]["keyboard"] == [[{"text": "Enable"}],
                                                                          [{"text": "Disable"}]]
    assert "DISABLED" in (await ask("Disable"))["text"]
    assert (await bot_call(server, token, "getMe"))[1]["result"]["can_read_all_group_messages"]
    await ask("/setdescription")
    await ask("@weather_kz_bot")
    await ask("I tell the weather.")
    await ask("/setabouttext")
    await ask("@weather_kz_bot")
    await ask("Weather for Kazakhstan")
    bot_id = (await bot_call(server, token, "getMe"))[1]["result"]["id"]
    info = await alice.call("bots.getBotInfo", user_id=bot_id)
    assert info["bot_info"]["description"] == "I tell the weather."
    assert info["about"] == "Weather for Kazakhstan"
    assert [c["command"] for c in info["bot_info"]["commands"]] == ["today", "week"]
    await ask("/revoke")
    revoked = await ask("@weather_kz_bot")
    code = next(e for e in revoked["entities"] if e["type"] == "code")
    new_token = revoked["text"][code["offset"]:code["offset"] + code["length"]]
    assert (await bot_call(server, token, "getMe"))[0] == 401
    assert (await bot_call(server, new_token, "getMe"))[0] == 200
    await ask("/deletebot")
    await ask("@weather_kz_bot")
    assert "gone" in (await ask("Yes, I am totally sure."))["text"]
    assert (await bot_call(server, new_token, "getMe"))[0] == 401
