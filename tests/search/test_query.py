"""The pure rules of search: queries, FTS quoting, case spellings, highlights in UTF-16."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppe.domain import search as ds
from steppe.domain.entities import slice_utf16, utf16_len
from steppe.domain.errors import RpcError


def _type(raw: str) -> str:
    with pytest.raises(RpcError) as info:
        ds.parse_query(raw)
    return info.value.type


def test_queries() -> None:
    q = ds.parse_query("  Алматы   is  北京 is ")
    assert q.text == "Алматы is 北京 is" and q.terms == ("Алматы", "is", "北京")
    assert q.indexed == ("Алматы",) and q.short == ("is", "北京")
    assert _type("") == _type(" \n\t ") == "SEARCH_QUERY_EMPTY"
    assert _type("x" * 257) == "SEARCH_QUERY_TOO_LONG"
    assert _type(" ".join("abcdefghi")) == "SEARCH_QUERY_TOO_LONG"  # nine words
    assert _type("a\x00b") == "SEARCH_QUERY_INVALID"
    with pytest.raises(RpcError):
        ds.require_indexed(ds.parse_query("北京 ab"))


def test_fts_and_like_quoting() -> None:
    assert ds.fts_match(('say "hi"', "NEAR(")) == 'text : "say ""hi""" AND text : "NEAR("'
    assert ds.fts_match(("abc",), 12) == 'text : "abc" AND chat : "<12>"'
    assert ds.like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
    assert sorted(ds.case_variants("әб")) == sorted(["әб", "Әб", "әБ", "ӘБ"])
    assert ds.case_variants("1.") == ["1."]


def test_highlights_count_utf16_units() -> None:
    text = "🙂 Қазақстан, қазақ тілі 😀 ҚАЗАҚ"
    marks = ds.highlights(text, ("ҚАЗАҚ",))
    assert [slice_utf16(text, h.offset, h.length) for h in marks] == ["Қазақ", "қазақ", "ҚАЗАҚ"]
    assert marks[0].offset == 3  # the emoji is two units, then a space
    overlapping = ds.highlights("abcabc", ("abca", "cab"))
    assert [(h.offset, h.length) for h in overlapping] == [(0, 5)]


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=5))
def test_highlights_are_inside_the_text(text: str, term: str) -> None:
    for h in ds.highlights(text, (term,)):
        assert 0 <= h.offset and h.offset + h.length <= utf16_len(text)
        assert len(slice_utf16(text, h.offset, h.length)) >= len(term)


def test_filters_and_names() -> None:
    with pytest.raises(RpcError):
        ds.check_filters(ds.Filters(min_date=5, max_date=4))
    with pytest.raises(RpcError):
        ds.check_filters(ds.Filters(chat_kind="forum"))
    assert ds.check_filters(ds.Filters(min_date=5)).min_date == 5
    assert ds.name_matches("Әлия Нұрланқызы", "нұр") and not ds.name_matches("Әлия", "лия")
