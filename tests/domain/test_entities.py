import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppe.domain.entities import (
    _MAY_HOLD_ENTITY,
    ENTITY_TYPES,
    Entity,
    _candidates,
    _utf16_prefix,
    detect_entities,
    merge_entities,
    slice_utf16,
    utf16_len,
    validate_entities,
)
from steppe.domain.errors import RpcError

EMOJI = "\U0001F600"  # 😀, two UTF-16 code units


def refused(text: str, entities: list[Entity]) -> str:
    with pytest.raises(RpcError) as info:
        validate_entities(text, entities)
    assert info.value.code == 400
    return info.value.type


def spans(text: str) -> list[tuple[str, str]]:
    return [(e.type, slice_utf16(text, e.offset, e.length)) for e in detect_entities(text)]


# --- UTF-16 ----------------------------------------------------------------------------------

def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("тест") == 4
    assert utf16_len(EMOJI) == 2
    assert utf16_len(f"a{EMOJI}b") == 4


def test_offsets_after_emoji() -> None:
    text = f"{EMOJI} bold {EMOJI}"
    bold = Entity("bold", 3, 4)
    assert validate_entities(text, [bold]) == [bold]
    assert slice_utf16(text, 3, 4) == "bold"
    assert slice_utf16(text, 0, 2) == EMOJI
    assert validate_entities(text, [Entity("italic", 8, 2)])
    assert refused(text, [Entity("italic", 8, 3)]) == "ENTITY_BOUNDS_INVALID"


# --- validation errors -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("offset", "length"),
    [(-1, 2), (0, 0), (0, -1), (0, 6), (5, 1), (3, 3)],
)
def test_bounds_refused(offset: int, length: int) -> None:
    assert refused("hello", [Entity("bold", offset, length)]) == "ENTITY_BOUNDS_INVALID"


@pytest.mark.parametrize(
    ("text", "offset", "length"),
    [
        (f"a{EMOJI}b", 2, 1),  # starts inside the emoji (units: a=0, emoji=1..2, b=3)
        (f"a{EMOJI}b", 0, 2),  # ends inside it
        (f"a{EMOJI}b", 2, 2),
        (f"{EMOJI}{EMOJI}", 1, 2),
        (f"{EMOJI}{EMOJI}", 0, 3),
    ],
)
def test_surrogate_split_refused(text: str, offset: int, length: int) -> None:
    assert refused(text, [Entity("bold", offset, length)]) == "ENTITY_BOUNDS_INVALID"
    assert validate_entities(text, [Entity("bold", 0, utf16_len(text))])


def test_unknown_type_refused() -> None:
    assert refused("hello", [Entity("blink", 0, 5)]) == "ENTITY_TYPE_INVALID"


@pytest.mark.parametrize(
    "url",
    [None, "", "javascript:alert(1)", "ftp://example.com", "example.com", "http://",
     "https://exa mple.com", "https://example.com/" + "a" * 2048],
)
def test_text_link_url_refused(url: str | None) -> None:
    entity = Entity("text_link", 0, 5, url=url)
    assert refused("hello", [entity]) == "ENTITY_URL_INVALID"


@pytest.mark.parametrize(
    "url",
    ["https://example.com", "http://example.com/a?b=c", "tg://resolve?domain=durov",
     "mailto:a@example.com", "HTTPS://EXAMPLE.COM"],
)
def test_text_link_url_accepted(url: str) -> None:
    assert validate_entities("hello", [Entity("text_link", 0, 5, url=url)])


def test_text_mention_needs_user() -> None:
    assert refused("hello", [Entity("text_mention", 0, 5)]) == "ENTITY_MENTION_USER_INVALID"
    assert validate_entities("hello", [Entity("text_mention", 0, 5, user_id=42)])


def test_language_only_on_pre() -> None:
    assert refused("x = 1", [Entity("code", 0, 5, language="python")]) == "ENTITY_LANGUAGE_INVALID"
    assert validate_entities("x = 1", [Entity("pre", 0, 5, language="python")])


def test_too_many_entities() -> None:
    text = "a" * 200
    ok = [Entity("bold", i, 1) for i in range(100)]
    assert len(validate_entities(text, ok)) == 100
    too_many = [Entity("bold", i, 1) for i in range(101)]
    assert refused(text, too_many) == "ENTITIES_TOO_LONG"


@pytest.mark.parametrize(
    "pair",
    [
        (Entity("pre", 0, 10), Entity("code", 2, 3)),
        (Entity("code", 0, 5), Entity("code", 0, 5)),
        (Entity("pre", 0, 5), Entity("pre", 4, 3)),
    ],
)
def test_code_and_pre_never_overlap(pair: tuple[Entity, Entity]) -> None:
    assert refused("0123456789", list(pair)) == "ENTITY_BOUNDS_INVALID"


def test_adjacent_code_allowed() -> None:
    assert validate_entities("0123456789", [Entity("code", 5, 5), Entity("code", 0, 5)])


def test_crossing_refused_nesting_allowed() -> None:
    text = "0123456789"
    assert refused(text, [Entity("bold", 0, 5), Entity("italic", 3, 5)]) == "ENTITY_BOUNDS_INVALID"
    nested = [Entity("italic", 2, 3), Entity("bold", 0, 10), Entity("code", 2, 3),
              Entity("underline", 0, 10), Entity("spoiler", 6, 4)]
    ordered = validate_entities(text, nested)
    assert [(e.offset, e.length) for e in ordered] == [(0, 10), (0, 10), (2, 3), (2, 3), (6, 4)]


def test_entity_serialises_without_defaults() -> None:
    import msgspec

    raw = msgspec.json.encode(Entity("bold", 0, 1))
    assert raw == b'{"type":"bold","offset":0,"length":1}'
    assert msgspec.json.decode(raw, type=Entity) == Entity("bold", 0, 1)


def test_entity_types() -> None:
    assert len(ENTITY_TYPES) == 19
    assert {"expandable_blockquote", "custom_emoji", "text_mention"} <= ENTITY_TYPES


# --- detection -------------------------------------------------------------------------------

def test_detects_each_kind() -> None:
    text = (f"{EMOJI} hi @durov #тег $USD see https://en.wikipedia.org/wiki/Foo_(bar). "
            "mail a.b@example.com or example.com/path?x=1, ok")
    assert spans(text) == [
        ("mention", "@durov"),
        ("hashtag", "#тег"),
        ("cashtag", "$USD"),
        ("url", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("email", "a.b@example.com"),
        ("url", "example.com/path?x=1"),
    ]
    first = detect_entities(text)[0]
    assert (first.offset, first.length) == (6, 6)  # emoji counts 2, then " hi "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", [("bot_command", "/start")]),
        ("/start@my_bot please", [("bot_command", "/start@my_bot")]),
        ("a /help", [("bot_command", "/help")]),
        ("a/help", []),
        ("/usr/bin", []),
        ("@abcd", []),  # under 5 characters
        ("@" + "a" * 33, []),  # over 32 characters
        ("x@abcde", []),  # preceded by a word character
        ("#123 #a1", [("hashtag", "#a1")]),
        ("C# and a#b", []),
        ("$usd $TOOLONGXX $EUR!", [("cashtag", "$EUR")]),
        ("go to (example.com).", [("url", "example.com")]),
        ("https://example.com/a?b=c!", [("url", "https://example.com/a?b=c")]),
        ("file.txt e.g. hello.world", []),
        ("t.me/@username", [("url", "t.me/@username")]),
        ("https://example.com/#top", [("url", "https://example.com/#top")]),
        ("write to me@example.kz.", [("email", "me@example.kz")]),
    ],
)
def test_detection_cases(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


FRAGMENTS = st.sampled_from([
    "@", "#", "$", "/", "http://", "https://", "example", ".com", ".kz", "user", "USD", " ",
    "\n", EMOJI, "_", "(", ")", ".", ",", "тег", "@bot_name", "1", "@example.com", "?", "!",
])
DETECT_TEXT = st.lists(FRAGMENTS | st.text(max_size=3), max_size=30).map("".join)
PREFIX = {"mention": "@", "hashtag": "#", "cashtag": "$", "bot_command": "/"}


@given(DETECT_TEXT)
def test_detection_never_overlaps_and_matches_type(text: str) -> None:
    found = detect_entities(text)
    for left, right in itertools.pairwise(found):
        assert left.offset + left.length <= right.offset
    for entity in found:
        piece = slice_utf16(text, entity.offset, entity.length)
        assert piece and not any(ch.isspace() for ch in piece)
        if entity.type in PREFIX:
            assert piece.startswith(PREFIX[entity.type])
        elif entity.type == "email":
            assert "@" in piece and not piece.startswith("@")
        else:
            assert entity.type == "url" and "." in piece
            assert piece[-1] not in ".,;:!?\"'"
    assert validate_entities(text, found) == found


# Texts without any character the shortcut looks for, rich in what the patterns do look for.
PLAIN_TEXT = st.lists(st.sampled_from([
    "localhost", "https", "http", "com", "kz", "example", "user", "USD", "USDT", " ", "\n", "_",
    "-", "1", "255", "127", EMOJI, "тег", "(", ")", ",", "!", "?", "%", "+", "&", "~", "\\",
]) | st.text(max_size=3), max_size=30).map("".join).filter(
    lambda t: _MAY_HOLD_ENTITY.search(t) is None)


@given(PLAIN_TEXT)
def test_a_text_without_trigger_characters_has_nothing_to_detect(text: str) -> None:
    # detect_entities skips these texts: no pattern may find anything in them either.
    assert list(_candidates(text)) == []
    assert detect_entities(text) == []


@given(DETECT_TEXT)
def test_the_shortcut_never_hides_an_entity(text: str) -> None:
    if list(_candidates(text)):
        assert _MAY_HOLD_ENTITY.search(text) is not None


ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                 blacklist_categories=()), max_size=40)


@given(ANY_TEXT)
def test_utf16_arithmetic_counts_astral_characters_twice(text: str) -> None:
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # lone surrogates count one
    assert utf16_len(text) == sum(units)
    assert _utf16_prefix(text) == [sum(units[:i]) for i in range(len(text) + 1)]


# --- UTF-16 property tests -------------------------------------------------------------------

def _char_offsets(text: str) -> list[int]:
    """UTF-16 offset of every character boundary, computed via the codec."""
    return [len(text[:i].encode("utf-16-le")) // 2 for i in range(len(text) + 1)]


@given(st.data())
def test_valid_spans_accepted_and_round_trip(data: st.DataObject) -> None:
    text = data.draw(st.text(min_size=1, max_size=40))
    bounds = _char_offsets(text)
    assert utf16_len(text) == bounds[-1]
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    entity = Entity("bold", bounds[start], bounds[end] - bounds[start])
    assert validate_entities(text, [entity]) == [entity]
    assert slice_utf16(text, entity.offset, entity.length) == text[start:end]


@given(st.text(max_size=20), st.text(max_size=20))
def test_splitting_an_astral_character_is_refused(before: str, after: str) -> None:
    text = before + EMOJI + after
    inside = utf16_len(before) + 1
    assert refused(text, [Entity("bold", inside, 1)]) == "ENTITY_BOUNDS_INVALID"
    assert refused(text, [Entity("bold", 0, inside)]) == "ENTITY_BOUNDS_INVALID"


@given(st.data())
def test_disjoint_spans_inside_a_container_are_accepted(data: st.DataObject) -> None:
    text = data.draw(st.text(min_size=1, max_size=40))
    bounds = _char_offsets(text)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), min_size=2, max_size=10)))
    inner = [Entity("italic", bounds[a], bounds[b] - bounds[a])
             for a, b in zip(cuts[::2], cuts[1::2], strict=False)]
    whole = Entity("bold", 0, bounds[-1])
    ordered = validate_entities(text, [*inner, whole])
    assert whole in ordered and ordered[0].length == bounds[-1]
    assert [e.offset for e in ordered] == sorted(e.offset for e in ordered)


# --- merging ---------------------------------------------------------------------------------

def test_merge_respects_explicit_entities() -> None:
    text = "see example.com and @durov_x and #tag"
    detected = detect_entities(text)
    assert [e.type for e in detected] == ["url", "mention", "hashtag"]

    code = Entity("code", 4, 11)  # exactly the url
    assert [e.type for e in merge_entities([code], detected)] == ["code", "mention", "hashtag"]

    bold = Entity("bold", 0, utf16_len(text))  # contains everything: detected ones nest
    assert [e.type for e in merge_entities([bold], detected)] == [
        "bold", "url", "mention", "hashtag"]

    crossing = Entity("italic", 0, 8)  # "see exam" would cross the url
    assert [e.type for e in merge_entities([crossing], detected)] == [
        "italic", "mention", "hashtag"]

    link = Entity("text_link", 20, 6, url="https://t.me/durov")
    assert [e.type for e in merge_entities([link], detected)] == ["url", "text_link", "hashtag"]


@given(DETECT_TEXT, st.data())
def test_merge_result_always_validates(text: str, data: st.DataObject) -> None:
    total = utf16_len(text)
    bounds = _char_offsets(text)
    explicit = []
    if total:
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        kind = data.draw(st.sampled_from(["bold", "code", "italic", "pre"]))
        explicit.append(Entity(kind, bounds[start], bounds[end] - bounds[start]))
    merged = merge_entities(explicit, detect_entities(text))
    assert validate_entities(text, merged) == merged
