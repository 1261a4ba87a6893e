"""What bots attach to messages: keyboards, and the message kinds bots send besides text
(location, venue, contact, dice, poll). Plain structs with Telegram's field names, and their checks."""

from __future__ import annotations

import msgspec

from steppe.domain.entities import Entity
from steppe.domain.errors import bad_request

MAX_BUTTON_TEXT = 64
MAX_CALLBACK_DATA = 64  # bytes
MAX_BUTTONS = 100
URL_SCHEMES = ("http://", "https://", "tg://")


class InlineButton(msgspec.Struct, omit_defaults=True):
    text: str
    url: str | None = None
    callback_data: str | None = None
    switch_inline_query: str | None = None
    switch_inline_query_current_chat: str | None = None
    copy_text: dict[str, str] | None = None
    pay: bool = False


class KeyboardButton(msgspec.Struct, omit_defaults=True):
    text: str
    request_contact: bool = False
    request_location: bool = False


class ReplyMarkup(msgspec.Struct, omit_defaults=True):
    """One of: an inline keyboard, a reply keyboard, a keyboard removal, a forced reply."""

    inline_keyboard: list[list[InlineButton]] | None = None
    keyboard: list[list[KeyboardButton]] | None = None
    is_persistent: bool = False
    resize_keyboard: bool = False
    one_time_keyboard: bool = False
    input_field_placeholder: str | None = None
    selective: bool = False
    remove_keyboard: bool = False
    force_reply: bool = False


class Location(msgspec.Struct, omit_defaults=True):
    latitude: float
    longitude: float
    horizontal_accuracy: float | None = None
    live_period: int | None = None
    heading: int | None = None


class Venue(msgspec.Struct, omit_defaults=True):
    title: str
    address: str
    foursquare_id: str | None = None
    google_place_id: str | None = None


class Contact(msgspec.Struct, omit_defaults=True):
    phone_number: str
    first_name: str
    last_name: str | None = None
    user_id: int | None = None
    vcard: str | None = None


class Dice(msgspec.Struct):
    emoji: str
    value: int


class PollOption(msgspec.Struct, omit_defaults=True):
    text: str
    voter_count: int = 0
    persistent_id: str = ""


class Poll(msgspec.Struct, omit_defaults=True):
    id: str
    question: str
    options: list[PollOption]
    total_voter_count: int = 0
    is_closed: bool = False
    is_anonymous: bool = True
    type: str = "regular"
    allows_multiple_answers: bool = False
    correct_option_id: int | None = None
    explanation: str | None = None
    question_entities: list[Entity] = []


DICE_VALUES = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}


def _button_text(text: str) -> None:
    if not text.strip() or len(text) > MAX_BUTTON_TEXT * 4:
        raise bad_request("BUTTON_TEXT_INVALID", "button text is empty or too long")


def _inline_button(b: InlineButton) -> None:
    _button_text(b.text)
    actions = [b.url, b.callback_data, b.switch_inline_query, b.switch_inline_query_current_chat,
               b.copy_text]
    set_count = sum(a is not None for a in actions) + int(b.pay)
    if set_count != 1:
        raise bad_request("BUTTON_TYPE_INVALID", "an inline button needs exactly one action")
    if b.url is not None and not b.url.startswith(URL_SCHEMES):
        raise bad_request("BUTTON_URL_INVALID")
    if b.callback_data is not None and not 1 <= len(b.callback_data.encode()) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")


def check_markup(markup: ReplyMarkup) -> ReplyMarkup:
    kinds = [markup.inline_keyboard is not None, markup.keyboard is not None,
             markup.remove_keyboard, markup.force_reply]
    if sum(kinds) != 1:
        raise bad_request("REPLY_MARKUP_INVALID", "name one kind of reply markup")
    rows: list[list[InlineButton]] | list[list[KeyboardButton]] = (
        markup.inline_keyboard or markup.keyboard or [])
    if sum(len(r) for r in rows) > MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for b in (b for row in markup.inline_keyboard or [] for b in row):
        _inline_button(b)
    for k in (k for row in markup.keyboard or [] for k in row):
        _button_text(k.text)
    if markup.keyboard is not None and not any(markup.keyboard):
        raise bad_request("REPLY_MARKUP_INVALID", "the keyboard has no buttons")
    return markup


def callback_button(markup: ReplyMarkup | None, data: str) -> InlineButton | None:
    """The inline button of `markup` whose callback_data is `data`."""
    for row in (markup.inline_keyboard if markup else None) or []:
        for button in row:
            if button.callback_data == data:
                return button
    return None


def check_location(latitude: float, longitude: float) -> None:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("GEO_POINT_INVALID")


def check_poll(question: str, options: list[str]) -> None:
    if not question.strip() or len(question) > 300:
        raise bad_request("POLL_QUESTION_INVALID")
    if not 2 <= len(options) <= 12:
        raise bad_request("POLL_OPTIONS_INVALID", "a poll needs 2 to 12 options")
    if any(not o.strip() or len(o) > 100 for o in options):
        raise bad_request("POLL_OPTION_INVALID")
