import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppe.domain.errors import RpcError
from steppe.domain.phone import country_of, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164", "country"),
    [
        ("+7 701 123 4567", "+77011234567", "KZ"),
        ("77011234567", "+77011234567", "KZ"),
        ("+7 (727) 250-00-00", "+77272500000", "KZ"),
        ("+7 912 345 6789", "+79123456789", "RU"),
        ("79123456789", "+79123456789", "RU"),
        ("+1 650 253 0000", "+16502530000", "US"),
        ("1 (202) 555-0123", "+12025550123", "US"),
        ("+86 138 0013 8000", "+8613800138000", "CN"),
        ("+49 30 123456", "+4930123456", "DE"),
        ("+49 151 23456789", "+4915123456789", "DE"),
        ("  +49.151.23456789  ", "+4915123456789", "DE"),
    ],
)
def test_normalises_with_country(raw: str, e164: str, country: str) -> None:
    assert normalize_phone(raw) == (e164, country)
    assert country_of(e164) == country


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+",
        "12",
        "hello",
        "+7 701 ABC 4567",
        "+7701123456x",
        "8 701 123 4567",  # a leading 8 is not a trunk prefix here
        "+7 000 000 0000",
        "+1 234",
        "+7 701 123 4567 " + "0" * 20,  # over 32 characters
        "++77011234567",
        "+7 701 123 4567; DROP TABLE",
        "+800 1234 5678",  # valid but non-geographic: no ISO country
        "\uff0b\uff17\uff17\uff10\uff11",  # full-width characters
    ],
)
def test_garbage_refused(raw: str) -> None:
    with pytest.raises(RpcError) as info:
        normalize_phone(raw)
    assert info.value.code == 400
    assert info.value.type == "PHONE_NUMBER_INVALID"


def test_country_of_refuses_invalid() -> None:
    with pytest.raises(RpcError) as info:
        country_of("+7000")
    assert info.value.type == "PHONE_NUMBER_INVALID"


@given(st.text(max_size=40))
def test_any_text_either_normalises_or_is_refused(raw: str) -> None:
    try:
        e164, country = normalize_phone(raw)
    except RpcError as error:
        assert error.type == "PHONE_NUMBER_INVALID"
    else:
        assert e164.startswith("+") and e164[1:].isdigit()
        assert len(country) == 2 and country.isupper()
        assert normalize_phone(e164) == (e164, country)


@given(st.from_regex(r"\+?[0-9 ]{1,20}", fullmatch=True))
def test_normalisation_is_idempotent(raw: str) -> None:
    try:
        e164, country = normalize_phone(raw)
    except RpcError:
        return
    assert normalize_phone(e164) == (e164, country)
    assert country_of(e164) == country
