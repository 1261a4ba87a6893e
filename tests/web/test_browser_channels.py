"""Channels, supergroups and the operator page in a real browser (Debian's Chromium, Playwright).

Alice creates a public channel with a discussion group through the UI, posts to it and starts a
poll. Bob finds the channel by @username, reads it before joining (the post with its view count),
joins, votes, reacts and comments; Alice sees the vote, the reaction count and the comment count
change live and reads the comment thread. Then Alice, made an operator through the server's stats
service, opens the operator page: the MAU chart and the growth table. Screenshots:
docs/screenshots/channel.png and operator.png.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from test_browser import SHOTS, Person, browser, expect

from steppe.domain import stats as dst
from steppe.services.simulate import Plan, Simulator

__all__ = ["browser"]  # the module-scoped browser fixture, shared with test_browser.py


def simulate_history(server: Any) -> str:
    """A year of activity in the aggregate tables (no accounts), for a chart worth looking at."""
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    countries = {"KZ": 12_500_000, "RU": 2_100_000, "UZ": 1_300_000, "KG": 640_000, "US": 280_000}
    plan = Plan(countries=countries, month=dst.parse_month(month), accounts=False,
                growth_by_country={"RU": 12.0, "UZ": 40.0, "US": -8.0})
    server.run(Simulator(server.app.core).run(plan))
    return month


def test_channel_comments_reactions_polls_and_the_operator_page(server: Any, browser: Any) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=10_000)
    month = simulate_history(server)
    alice, bob = Person(browser, server, "alice"), Person(browser, server, "bob")
    a, b = alice.page, bob.page
    refused: list[str] = []  # the strict CSP holds: nothing inline is refused
    for page in (a, b):
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    alice.sign_up("Alice", "Smith")
    bob.sign_up("Bob", "Brown")
    name = f"steppe_news_{int(time.time() * 1000) % 10**7}"

    # ---- Alice creates a public channel with a discussion group, posts, starts a poll ---------
    alice.menu("New Channel")
    dialog = a.locator(".modal")
    dialog.get_by_role("textbox", name="Channel name").fill("Steppe News")
    dialog.get_by_role("textbox", name="Description").fill("What is new in Steppe, first")
    dialog.get_by_role("radio", name="Public").check()
    dialog.get_by_role("textbox", name="Public link").fill(name)
    expect(dialog.get_by_role("checkbox", name="Comments: add a discussion group")).to_be_checked()
    dialog.get_by_role("button", name="Create").click()
    expect(a.locator(".chat-title")).to_have_text("Steppe News")
    expect(a.locator(".service-pill").first).to_have_text("Channel “Steppe News” created")
    expect(a.get_by_role("textbox", name="Message")).to_have_attribute("placeholder", "Broadcast")
    alice.send("Channels are here: **posts** with views, comments and reactions")
    post = alice.bubble("Channels are here")
    expect(post.locator(".views-count")).to_have_text("1")  # Alice's own view
    expect(post.locator(".comments-btn")).to_have_text(re.compile("Leave a comment"))

    a.get_by_role("button", name="Create poll").click()
    poll_dialog = a.locator(".modal.poll-dialog")
    poll_dialog.get_by_role("textbox", name="Question").fill("Which colour for the new icon?")
    poll_dialog.get_by_role("textbox", name="Option").nth(0).fill("Steppe gold")
    poll_dialog.get_by_role("textbox", name="Option").nth(1).fill("Sky blue")
    poll_dialog.get_by_role("textbox", name="Option").nth(2).fill("Mountain green")
    poll_dialog.get_by_role("button", name="Create").click()
    poll = a.locator(".msg", has=a.locator(".poll-q", has_text="Which colour")).last
    expect(poll.locator(".poll-kind")).to_have_text("Anonymous Poll")

    # ---- Bob finds it by @username, reads it before joining, joins ----------------------------
    b.get_by_role("searchbox", name="Search chats").fill(f"@{name}")
    # the channel, not its discussion group ("Steppe News Chat")
    b.locator(".public-chat").filter(has=b.get_by_text("Steppe News", exact=True)).click()
    expect(b.locator(".chat-title")).to_have_text("Steppe News")
    seen = bob.bubble("Channels are here")
    expect(seen.locator(".views-count")).to_have_text("2")  # Alice's view and Bob's
    expect(seen.locator("strong")).to_have_text("posts")
    expect(b.locator(".dialog", has_text="Steppe News")).to_have_count(0)  # a preview, not in his list
    b.get_by_role("button", name="Join Channel").click()
    expect(b.locator(".dialog", has_text="Steppe News")).to_be_visible()
    expect(b.get_by_role("button", name="Join Channel")).to_be_hidden()
    expect(b.locator(".chat-view .composer-notice")).to_have_text("Only the channel’s admins post here")

    # ---- Bob votes and reacts; Alice sees both live --------------------------------------------
    bob_poll = b.locator(".msg", has=b.locator(".poll-q", has_text="Which colour")).last
    bob_poll.get_by_role("button", name="Sky blue").click()
    expect(bob_poll.locator(".poll-opt.mine")).to_contain_text("Sky blue")
    expect(bob_poll.locator(".poll-opt.mine .poll-pct")).to_have_text("100%")
    expect(poll.locator(".poll-total")).to_have_text("1 vote")  # live, through message_poll
    poll.get_by_role("button", name="Steppe gold").click()
    expect(poll.locator(".poll-opt.mine .poll-pct")).to_have_text("50%")
    expect(bob_poll.locator(".poll-total")).to_have_text("2 votes")
    bob.message_menu("Channels are here", "React 👍")
    expect(seen.locator(".reaction.chosen")).to_have_text("👍1")
    expect(post.locator(".reaction")).to_have_text("👍1")

    # ---- Bob comments; Alice sees the count and reads the thread --------------------------------
    seen.locator(".comments-btn").click()
    thread = b.locator(".thread-view")
    expect(thread.locator(".thread-title")).to_have_text("Comments")
    expect(thread.locator(".msg-text", has_text="Channels are here")).to_be_visible()  # the post on top
    box = b.get_by_role("textbox", name="Comment")
    box.fill("Great news! Can't wait to try the **polls**")
    box.press("Enter")
    expect(thread.locator(".msg-text", has_text="Great news!")).to_be_visible()
    expect(thread.locator(".thread-status")).to_have_text("1 comment")
    expect(post.locator(".comments-btn")).to_have_text(re.compile("1 comment"))
    b.get_by_role("button", name="Close thread").click()
    expect(seen.locator(".comments-btn")).to_have_text(re.compile("1 comment"))

    # ---- Bob finds the comment by searching every chat; the match is marked -------------------
    b.get_by_role("searchbox", name="Search chats").fill("try the pol")
    found = b.locator(".found", has_text="Steppe News Chat")
    expect(found.locator("mark")).to_have_text(["try", "the", "pol"])  # every word, parts of words too
    b.get_by_role("button", name="Clear search").click()

    alice.message_menu("Channels are here", "React 🔥")
    expect(post.locator(".reaction")).to_have_count(2)
    post.locator(".comments-btn").click()
    a_thread = a.locator(".thread-view")
    expect(a_thread.locator(".msg", has_text="Great news!").locator(".msg-sender")).to_have_text("Bob Brown")
    a.get_by_role("textbox", name="Comment").fill("Thanks, Bob!")
    a.get_by_role("textbox", name="Comment").press("Enter")
    expect(b.locator(".dialog", has_text="Steppe News Chat")).to_be_visible()  # commenting joined Bob to it
    a.get_by_role("button", name="Close thread").click()

    # ---- two pins: the bar shows the newest and cycles; a post scheduled for later -----------
    alice.message_menu("Channels are here", "Pin")
    a.locator(".msg", has=a.locator(".poll-q")).locator(".bubble").click(button="right")
    a.get_by_role("menuitem", name="Pin").click()
    expect(b.locator(".pinned-title")).to_have_text("Pinned Message #2")
    expect(b.locator(".pinned-text")).to_have_text("Poll: Which colour for the new icon?")
    b.locator(".pinned-bar").click()
    expect(b.locator(".pinned-title")).to_have_text("Pinned Message #1")
    expect(b.locator(".pinned-text")).to_contain_text("Channels are here")
    a.get_by_role("textbox", name="Message").fill("Tomorrow: the release notes")
    a.locator(".chat-view .send-btn").click(button="right")
    a.get_by_role("menuitem", name="Schedule message").click()
    a.locator(".modal").get_by_role("button", name="Tomorrow").click()
    a.locator(".modal").get_by_role("button", name="Schedule").click()
    a.get_by_role("button", name="Scheduled messages").click()
    expect(a.locator(".scheduled-row")).to_have_text(re.compile("Tomorrow: the release notes"))
    a.locator(".scheduled-row").get_by_role("button", name="Cancel").click()
    a.locator(".modal.confirm").get_by_role("button", name="Delete").click()
    expect(a.locator(".scheduled-rows")).to_have_text("Nothing is scheduled here.")
    a.keyboard.press("Escape")
    expect(bob.bubble("release notes")).to_have_count(0)

    a.get_by_role("button", name="Chat info").first.click()
    panel = a.locator(".info-panel")
    expect(panel.locator(".info-value", has_text=f"@{name}")).to_be_visible()
    expect(panel.get_by_role("button", name="Subscribers")).to_contain_text("2")
    a.evaluate("document.querySelectorAll('.toast').forEach((t) => t.remove())")  # a clean picture
    alice.shot("channel.png")
    panel.get_by_role("button", name="Subscribers").click()
    expect(panel.locator(".member")).to_have_count(2)
    expect(panel.locator(".member", has_text="Alice Smith")).to_contain_text("owner")
    panel.get_by_role("button", name="Back to info").click()
    panel.get_by_role("button", name="Close").click()

    # ---- the operator page: for operators only --------------------------------------------------
    a.get_by_role("button", name="Menu").click()
    expect(a.get_by_role("menuitem", name="Settings")).to_be_visible()
    expect(a.get_by_role("menuitem", name="Operator")).to_have_count(0)
    a.keyboard.press("Escape")
    me = a.evaluate("window.__steppe.store.me.id")
    server.run(server.app.services.stats.set_operator(str(me), True))
    server.run(server.app.services.stats.flush())
    alice.menu("Operator")
    page = a.locator(".operator")
    expect(page.locator(".headline")).to_contain_text("million monthly users in Kazakhstan")
    table = page.locator(".growth-table")
    kz = table.locator("tr[data-country=KZ]")
    expect(kz.locator("td").nth(0)).to_have_text(re.compile(r"^12,500,00\d$"))
    expect(kz.locator("td").nth(2)).to_have_text("+25.0 %")
    expect(table.locator("tr[data-country=US] td").nth(2)).to_have_text("-8.0 %")
    expect(page.locator(".mau-chart .series")).to_have_count(5)
    assert page.locator(".mau-chart .series").first.get_attribute("data-country") == "KZ"
    assert month in page.locator(".headline-sub").inner_text()
    alice.shot("operator.png")

    assert refused == [], refused
    assert alice.errors == [] and bob.errors == [], "\n".join(alice.errors + bob.errors)
    alice.context.close()
    bob.context.close()
