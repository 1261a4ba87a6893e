"""docs/botapi.md matches the code; parse_mode parsers follow Telegram's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from steppe.botapi.context import METHODS
from steppe.botapi.server import BotApi  # noqa: F401 - loads every method table
from steppe.domain.errors import RpcError
from steppe.domain.parse_mode import parse

DOC = Path(__file__).resolve().parents[2] / "docs" / "botapi.md"
REQUIRED = {  # botapi-top40-methods.md plus the methods issue 7 names
    "getUpdates", "sendMessage", "answerCallbackQuery", "getMe", "editMessageText",
    "deleteWebhook", "setWebhook", "sendPhoto", "sendDocument", "getFile", "deleteMessage",
    "editMessageReplyMarkup", "setMyCommands", "getChatMember", "sendChatAction",
    "forwardMessage", "copyMessage", "sendMediaGroup", "answerInlineQuery", "editMessageCaption",
    "sendVideo", "sendAudio", "sendVoice", "sendSticker", "getChat", "getWebhookInfo",
    "sendLocation", "sendPoll", "pinChatMessage", "unpinChatMessage", "banChatMember",
    "unbanChatMember", "restrictChatMember", "getChatAdministrators", "getChatMemberCount",
    "sendAnimation", "editMessageMedia", "sendContact", "leaveChat", "deleteMyCommands",
    "forwardMessages", "copyMessages", "deleteMessages", "stopPoll", "sendDice",
    "setMessageReaction", "promoteChatMember", "approveChatJoinRequest",
    "declineChatJoinRequest", "createChatInviteLink", "getMyCommands", "setMyName",
    "setMyDescription", "getUserProfilePhotos",
}


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_docs_list_exactly_the_supported_methods() -> None:
    text = DOC.read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", _section(text, "Supported methods"), re.M))
    missing = set(re.findall(r"^- `(\w+)`", _section(text, "Not yet supported"), re.M))
    code = {name for name, _ in METHODS.values()}
    assert documented == code
    assert not missing & code, "a method listed as missing is implemented: move it"
    assert REQUIRED <= code | missing, sorted(REQUIRED - code - missing)


def test_docs_list_exactly_the_delivered_update_types() -> None:
    from steppe.botapi.render import DELIVERED
    from steppe.domain.bots import UPDATE_TYPES

    text = re.split(r"Updates\s+are kept", _section(DOC.read_text(), "Update types"))[0]
    documented = set(re.findall(r"`(\w+)`", text.split("Delivered:", 1)[1]))
    assert documented == set(DELIVERED)
    assert set(DELIVERED) <= set(UPDATE_TYPES)


@pytest.mark.parametrize(("mode", "source", "text", "entities"), [
    ("HTML", "<b>a<i>b</i></b> &lt;&amp;&gt;", "ab <&>",
     [("bold", 0, 2), ("italic", 1, 1)]),
    ("HTML", '<a href="https://x.org">x</a><tg-spoiler>s</tg-spoiler>', "xs",
     [("text_link", 0, 1), ("spoiler", 1, 1)]),
    ("HTML", '<pre><code class="language-py">1</code></pre>', "1", [("pre", 0, 1)]),
    ("MarkdownV2", r"*b* _i_ __u__ ~s~ ||p|| `c` \. [l](https://x.org)", "b i u s p c . l",
     [("bold", 0, 1), ("italic", 2, 1), ("underline", 4, 1), ("strikethrough", 6, 1),
      ("spoiler", 8, 1), ("code", 10, 1), ("text_link", 14, 1)]),
    ("MarkdownV2", "😀*x*", "😀x", [("bold", 2, 1)]),
    ("Markdown", "*b* _i_ `c` [l](http://x.org)", "b i c l",
     [("bold", 0, 1), ("italic", 2, 1), ("code", 4, 1), ("text_link", 6, 1)]),
])
def test_parse_modes(mode: str, source: str, text: str, entities: list) -> None:
    out, ents = parse(source, mode)
    assert out == text
    assert [(e.type, e.offset, e.length) for e in ents] == entities


@pytest.mark.parametrize(("mode", "source", "error"), [
    ("HTML", "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("HTML", "<x>y</x>", 'Unsupported start tag "x" at byte offset 0'),
    ("HTML", "a</b>", "Unexpected end tag at byte offset 1"),
    ("HTML", "<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("MarkdownV2", "1+1", "Character '+' is reserved and must be escaped with the preceding '\\'"),
    ("MarkdownV2", "é*x", "Can't find end of Bold entity at byte offset 2"),
    ("Markdown", "_x", "Can't find end of the entity starting at byte offset 0"),
])
def test_parse_errors(mode: str, source: str, error: str) -> None:
    with pytest.raises(RpcError) as info:
        parse(source, mode)
    assert info.value.message == f"can't parse entities: {error}"
