"""The web client in a real browser: Debian's Chromium driven by Playwright, against a real server.

Two browser contexts are two people. They sign up through the UI, find each other by username,
talk live (formatting, reply, edit, delete, pin, read ticks, typing), make a group, and try an
HTML injection. Screenshots of the main screens go to docs/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the playwright package is missing (pip install -e '.[test]')")
expect = sync_api.expect

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--font-render-hinting=none"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
INJECTION = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Person:
    """One browser context: a person with their own storage, sockets and tabs."""

    def __init__(self, browser: Any, server: Any, name: str):
        self.server = server
        self.name = name
        self.context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="UTC")
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = self.tab()

    def tab(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda err: self.errors.append(f"{self.name}: {err}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        return page

    def sign_up(self, first: str, last: str = "", shot: str | None = None) -> None:
        page = self.page
        self.phone = self.server.new_phone()
        page.goto(self.server.url)
        page.fill("input[name=phone]", self.phone)
        page.get_by_role("button", name="Next").click()
        # the page tells where the code is in the default set-up
        expect(page.get_by_text(f"login code for {self.phone}")).to_be_visible()
        expect(page.get_by_text(f"steppe admin login-code {self.phone}")).to_be_visible()
        if shot:
            self.shot(shot)
        page.fill("input[name=code]", self.server.codes.codes[self.phone])  # 5 digits submit it
        page.fill("input[name=first_name]", first)
        page.fill("input[name=last_name]", last)
        page.get_by_role("button", name="Start messaging").click()
        expect(page.locator(".sidebar")).to_be_visible()
        expect(page.locator(".conn-bar")).to_be_hidden()

    def menu(self, item: str) -> None:
        self.page.get_by_role("button", name="Menu").click()
        self.page.get_by_role("menuitem", name=item).click()

    def open_chat(self, title: str) -> None:
        self.page.locator(".dialog", has_text=title).first.click()
        expect(self.page.locator(".chat-title")).to_have_text(title)

    def send(self, text: str) -> None:
        box = self.page.get_by_role("textbox", name="Message")
        box.fill(text)
        box.press("Enter")
        expect(box).to_have_value("")

    def bubble(self, text: str) -> Any:
        return self.page.locator(".msg", has=self.page.locator(".msg-text", has_text=text)).last

    def message_menu(self, text: str, item: str) -> None:
        self.bubble(text).locator(".bubble").click(button="right")
        self.page.get_by_role("menuitem", name=item).click()

    def shot(self, name: str) -> None:
        self.page.mouse.move(0, 0)
        time.sleep(0.3)  # let transitions settle
        self.page.screenshot(path=str(SHOTS / name))


def api_user(server: Any, first: str) -> dict[str, Any]:
    """Someone who uses the API directly, to fill the chat list and the history."""
    return server.run(server.user(first))  # type: ignore[no-any-return]


def api_send(server: Any, token: str, user_id: int, texts: list[str], reply_to_first: bool = False) -> None:
    async def go() -> None:
        http = server.http(token)
        try:
            first = None
            for text in texts:
                extra = {"reply_to": first["id"]} if reply_to_first and first and text == texts[-1] else {}
                sent = await http.call("messages.sendMessage", peer={"user_id": user_id}, text=text, **extra)
                first = first or sent
        finally:
            await http.close()

    server.run(go())


def test_two_people_in_the_browser(server: Any, browser: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=10_000)
    alice, bob = Person(browser, server, "alice"), Person(browser, server, "bob")
    a, b = alice.page, bob.page

    # ---- sign up both through the UI; Bob picks a username in the settings --------------------
    alice.sign_up("Alice", "Smith", shot="sign-in.png")
    bob.sign_up("Bob", "Brown")

    bob.menu("Settings")
    username = f"bob_{int(time.time() * 1000) % 10**8}"
    b.fill("input[name=username]", username)
    expect(b.locator(".username-status")).to_have_text(f"{username} is available.")
    b.get_by_role("button", name="Save username").click()
    expect(b.locator(".username-status")).to_contain_text(f"@{username}")
    b.get_by_role("button", name="Back", exact=True).click()

    # ---- Alice finds Bob by username and writes; Markdown shortcuts become entities -----------
    a.get_by_role("button", name="New message").click()
    a.get_by_role("menuitem", name="New Message").click()
    a.get_by_placeholder("Search by @username").fill(username[:6])
    a.locator(".modal .row", has_text="Bob Brown").click()
    expect(a.locator(".chat-title")).to_have_text("Bob Brown")
    alice.send("Hello **Bob**! Try `steppe serve` and [the docs](https://example.com/docs)")
    sent = alice.bubble("Hello Bob!")
    expect(sent.locator(".status-sent")).to_be_visible()  # one tick: not read yet

    dialog = b.locator(".dialog", has_text="Alice Smith")
    expect(dialog.locator(".badge")).to_have_text("1")
    expect(dialog.locator(".dialog-preview")).to_contain_text("Hello Bob!")
    bob.open_chat("Alice Smith")
    got = bob.bubble("Hello Bob!")
    expect(got.locator("strong")).to_have_text("Bob")
    expect(got.locator("code")).to_have_text("steppe serve")
    expect(got.locator("a")).to_have_attribute("href", "https://example.com/docs")
    expect(sent.locator(".status-read")).to_be_visible()  # two ticks once Bob has read it
    expect(dialog.locator(".badge")).to_have_count(0)

    # ---- typing, reply, edit, delete, pin: each seen live on the other side -------------------
    b.get_by_role("textbox", name="Message").fill("typing something")
    expect(a.locator(".chat-status")).to_have_text("typing…")
    b.get_by_role("textbox", name="Message").fill("")
    bob.message_menu("Hello Bob!", "Reply")
    bob.send("Hi Alice! Nice to see you here")
    reply = alice.bubble("Hi Alice!")
    expect(reply.locator(".msg-reply")).to_contain_text("Hello Bob!")

    alice.message_menu("Hello Bob!", "Edit")
    expect(a.get_by_role("textbox", name="Message")).to_have_value(re.compile(r"^Hello \*\*Bob\*\*"))
    a.get_by_role("textbox", name="Message").fill("Hello **Bob**, welcome to Steppe")
    a.get_by_role("textbox", name="Message").press("Enter")
    edited = bob.bubble("welcome to Steppe")
    expect(edited.locator(".edited")).to_be_visible()
    expect(edited.locator("strong")).to_have_text("Bob")

    alice.send("this one is a mistake")
    expect(bob.bubble("a mistake")).to_be_visible()
    alice.message_menu("a mistake", "Delete")
    expect(a.get_by_role("checkbox")).to_be_checked()  # also delete for Bob
    a.locator(".modal").get_by_role("button", name="Delete").click()
    expect(a.locator(".msg-text", has_text="a mistake")).to_have_count(0)
    expect(b.locator(".msg-text", has_text="a mistake")).to_have_count(0)

    bob.send("Shift+Enter makes\na second line, Enter sends")
    alice.message_menu("welcome to Steppe", "Pin")
    expect(b.locator(".pinned-bar")).to_contain_text("welcome to Steppe")
    b.locator(".pinned-bar").click()  # jumps to the pinned message
    expect(bob.bubble("welcome to Steppe")).to_be_in_viewport()
    expect(alice.bubble("Shift+Enter makes")).to_contain_text("a second line")
    alice.send("Sounds good. Let's make a group for the team")
    expect(bob.bubble("make a group")).to_be_visible()

    # ---- more people write to Alice: new chats appear live, unread badges, pinned chats first --
    me = a.evaluate("window.__steppe.store.me.id")
    dana, erik = api_user(server, "Dana"), api_user(server, "Erik")
    api_send(server, dana["token"], me, [f"Dana's note {i}" for i in range(1, 71)] + ["See my first note"],
             reply_to_first=True)
    api_send(server, erik["token"], me, ["Are we still on for Friday?"])
    expect(a.locator(".dialog", has_text="Dana").locator(".badge")).to_have_text("71")
    expect(a.locator(".dialog", has_text="Erik").locator(".badge")).to_have_text("1")
    a.locator(".dialog", has_text="Bob Brown").click(button="right")
    a.get_by_role("menuitem", name="Pin to top").click()
    expect(a.locator(".dialog").first).to_have_class(re.compile("pinned"))
    expect(a.locator(".dialog").first).to_contain_text("Bob Brown")
    alice.shot("chat.png")

    # ---- search filters the list; the history loads as you scroll up; jump to a reply ---------
    a.get_by_role("searchbox", name="Search chats").fill("Dan")
    expect(a.locator(".dialog")).to_have_count(1)
    a.get_by_role("button", name="Clear search").click()
    alice.open_chat("Dana")
    expect(a.locator(".unread-sep")).to_be_attached()
    alice.bubble("See my first note").locator(".msg-reply").click()  # loads older pages to reach it
    first_note = a.locator('.msg[data-id="1"]')  # "Dana's note 1", the oldest message
    expect(first_note).to_be_in_viewport()
    expect(first_note).to_have_class(re.compile("highlight"))
    a.get_by_role("button", name="New message").click()  # find someone by phone number too
    a.get_by_role("menuitem", name="New Message").click()
    a.get_by_placeholder("Search by @username").fill(erik["user"]["phone"])
    a.get_by_placeholder("Search by @username").press("Enter")
    expect(a.locator(".chat-title")).to_have_text("Erik")
    alice.open_chat("Bob Brown")
    alice.message_menu("Nice to see you here", "Forward")
    a.locator(".modal .row", has_text="Erik").click()
    expect(a.locator(".chat-title")).to_have_text("Erik")
    expect(alice.bubble("Nice to see you here").locator(".msg-fwd")).to_have_text("Forwarded from Bob Brown")
    alice.open_chat("Bob Brown")

    # ---- a second tab of Alice's stays live too ---------------------------------------------
    tab = alice.tab()
    tab.goto(server.url)
    expect(tab.locator(".dialog", has_text="Bob Brown")).to_be_visible()
    bob.send("Seen in both of Alice's tabs")
    expect(tab.locator(".dialog", has_text="Bob Brown").locator(".dialog-preview")).to_contain_text(
        "both of Alice's tabs")
    tab.close()

    # ---- a lost connection: the offline indicator, then recovery through getDifference -------
    alice.context.set_offline(True)
    a.evaluate("window.__steppe.conn.drop()")  # as the browser does on its offline event
    expect(a.locator(".conn-bar")).to_be_visible()
    bob.send("Sent while Alice was offline")
    alice.context.set_offline(False)
    a.evaluate("dispatchEvent(new Event('online'))")
    expect(alice.bubble("while Alice was offline")).to_be_visible()
    expect(a.locator(".conn-bar")).to_be_hidden()
    # a gap in the sequence: forget one event; the next one makes the client fetch the difference
    a.evaluate("""(() => { const s = window.__steppe; const id = s.app.openChatId;
                  s.sync.pts.set(id, s.sync.pts.get(id) - 1); })()""")
    bob.send("After the gap")
    expect(alice.bubble("After the gap")).to_be_visible()
    expect(a.locator(".msg-text", has_text="After the gap")).to_have_count(1)

    # ---- a group: create, add Bob by username, rename, info panel ----------------------------
    alice.menu("New Group")
    a.get_by_placeholder("Group name").fill("Steppe Team")
    a.get_by_placeholder("Add people by @username").fill(username)
    a.locator(".modal .row", has_text="Bob Brown").click()
    expect(a.locator(".chip")).to_contain_text("Bob Brown")
    a.get_by_role("button", name="Create").click()
    expect(a.locator(".chat-title")).to_have_text("Steppe Team")
    expect(a.locator(".service-pill").first).to_have_text("You created the group “Steppe Team”")
    expect(b.locator(".dialog", has_text="Steppe Team")).to_be_visible()
    alice.send("Welcome to the team chat!")
    bob.open_chat("Steppe Team")
    expect(b.locator(".service-pill").first).to_have_text("Alice Smith created the group “Steppe Team”")
    bob.send("Thanks, glad to be here")
    expect(alice.bubble("glad to be here").locator(".msg-sender")).to_have_text("Bob Brown")

    a.get_by_role("button", name="Chat info").first.click()
    panel = a.locator(".info-panel")
    expect(panel.locator(".member")).to_have_count(2)
    expect(panel.locator(".member", has_text="Alice Smith")).to_contain_text("owner")
    panel.get_by_role("button", name="Rename group").click()
    panel.get_by_role("textbox", name="Group name").fill("Steppe Core")
    panel.get_by_role("button", name="Save").click()
    expect(b.locator(".chat-title")).to_have_text("Steppe Core")
    renamed = "Alice Smith changed the group name to “Steppe Core”"
    expect(b.locator(".service-pill").last).to_have_text(renamed)
    alice.shot("group-info.png")

    # ---- the dark theme is kept across a reload ---------------------------------------------
    a.get_by_role("button", name="Close").first.click()
    alice.menu("Night Mode")
    expect(a.locator("html")).to_have_attribute("data-theme", "dark")
    a.reload()
    expect(a.locator("html")).to_have_attribute("data-theme", "dark")
    expect(a.locator(".dialog", has_text="Erik").locator(".badge")).to_have_count(0)  # read on the server
    expect(a.locator(".chat-title")).to_have_text("Steppe Core")  # the open chat is in the URL
    alice.shot("dark.png")

    # ---- remove Bob from the group: it leaves his chat list ----------------------------------
    a.get_by_role("button", name="Chat info").first.click()
    panel.get_by_role("button", name="Remove Bob Brown", exact=True).click()
    a.locator(".modal").get_by_role("button", name="Remove").click()
    expect(panel.locator(".member")).to_have_count(1)
    expect(b.locator(".dialog", has_text="Steppe Core")).to_have_count(0)
    panel.get_by_role("button", name="Leave group").click()
    a.locator(".modal").get_by_role("button", name="Leave").click()
    expect(a.locator(".dialog", has_text="Steppe Core")).to_have_count(0)
    expect(a.locator(".chat-empty")).to_be_visible()

    # ---- phone width: one column with a back button ------------------------------------------
    b.set_viewport_size(PHONE)
    bob.open_chat("Alice Smith")
    expect(b.get_by_role("button", name="Back to chats")).to_be_visible()
    expect(b.locator(".sidebar")).to_be_hidden()
    bob.shot("phone.png")
    b.get_by_role("button", name="Back to chats").click()
    expect(b.locator(".sidebar")).to_be_visible()
    b.set_viewport_size(DESKTOP)

    # ---- two-step password: set in the settings, asked for at the next sign-in ---------------
    bob.open_chat("Alice Smith")
    bob.menu("Settings")
    b.locator(".settings-body").evaluate("el => el.scrollTop = 0")
    bob.shot("settings.png")
    b.fill("input[name=new_password]", "correct horse")
    b.fill("input[name=repeat_password]", "correct horse")
    b.fill("input[name=hint]", "the horse")
    b.get_by_role("button", name="Set password").click()
    expect(b.locator(".password-box .pill")).to_have_text("On")
    b.get_by_role("button", name="Back", exact=True).click()
    other = Person(browser, server, "bob-laptop")
    other.phone = bob.phone
    o = other.page
    o.goto(server.url)
    o.fill("input[name=phone]", bob.phone)
    o.get_by_role("button", name="Next").click()
    expect(o.locator("input[name=code]")).to_be_visible()  # the new code has been issued
    o.fill("input[name=code]", server.codes.codes[bob.phone])
    expect(o.get_by_text("Hint: the horse")).to_be_visible()
    o.fill("input[name=password]", "correct horse")
    o.get_by_role("button", name="Next").click()
    expect(o.locator(".dialog", has_text="Alice Smith")).to_be_visible()
    bob.menu("Settings")  # the new device shows up in the sessions; terminating it signs it out
    expect(b.locator(".session")).to_have_count(2)
    b.locator(".session").filter(has=b.get_by_role("button", name="Terminate")).get_by_role(
        "button", name="Terminate").click()
    b.locator(".modal").get_by_role("button", name="Terminate").click()
    expect(b.locator(".session")).to_have_count(1)
    expect(o.locator("input[name=phone]")).to_be_visible()
    b.get_by_role("button", name="Back", exact=True).click()
    other.context.close()

    # ---- an injection attempt as a name and as a message renders as text ---------------------
    bob.menu("Settings")
    b.fill("input[name=first_name]", INJECTION)
    b.fill("input[name=last_name]", "")
    b.get_by_role("button", name="Save profile").click()
    expect(b.locator(".profile-card .info-title")).to_have_text(INJECTION)
    b.get_by_role("button", name="Back", exact=True).click()
    bob.open_chat("Alice Smith")
    bob.send(f"{INJECTION} **{INJECTION}**")
    a.locator(".dialog", has_text="onerror").first.click()
    expect(a.locator(".chat-title")).to_have_text(INJECTION)  # opening the chat refreshes the name
    expect(alice.bubble("onerror").locator(".msg-text")).to_contain_text(f"{INJECTION} {INJECTION}")
    expect(alice.bubble("onerror").locator("strong")).to_have_text(INJECTION)
    expect(a.locator(".dialog .title-text", has_text=INJECTION)).to_be_visible()
    for page in (a, b):
        assert page.locator("img").count() == 0
    assert alice.dialogs == [] and bob.dialogs == [], "an injected script ran"
    assert alice.errors == [] and bob.errors == [], "\n".join(alice.errors + bob.errors)
    alice.context.close()
    bob.context.close()
