"""`steppe admin simulate | stats | operator` as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from steppe import cli
from steppe.services.simulate import phone_numbers


def steppe(data: Path, *args: str) -> None:
    cli.main(["--data", str(data), "admin", *args])


def fails(data: Path, *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        steppe(data, *args)
    return str(info.value.code)


def _json(data: Path, capsys: Any, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    steppe(data, "stats", "--format", "json", *args)
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_simulate_then_stats(tmp_path: Path, capsys: Any) -> None:
    steppe(tmp_path, "simulate", "--country", "KZ=1000", "--country", "RU=200", "--month",
           "2026-10", "--quiet")
    assert "simulated 1,200 users in 2 countries" in capsys.readouterr().out

    report = _json(tmp_path, capsys, "--month", "2026-10")
    kz, ru = report["countries"]
    assert (kz["country"], kz["mau"], kz["mau_year_ago"], kz["growth_pct"]) == ("KZ", 1000, 800,
                                                                                 25.0)
    assert (ru["country"], ru["mau"], ru["mau_year_ago"], ru["growth_pct"]) == ("RU", 200, 160,
                                                                                 25.0)
    assert report["total"]["mau"] == 1200 and report["days"] == 31
    assert report["headline"] == "1,000 monthly users in Kazakhstan, up 25 % on last year"
    september = _json(tmp_path, capsys, "--month", "2026-09")
    # Every simulated account stays active from its sign-up: this month's sign-ups are exactly
    # the growth of MAU over last month.
    for now, before in zip(report["countries"], september["countries"], strict=True):
        assert now["signups"] == now["mau"] - before["mau"] > 0
        assert 0.4 < now["dau_mau"] < 0.55 and now["dau"] < now["mau"]
    assert set(report["messages"]["per_day"]) == {"private", "group", "supergroup", "channel"}
    assert len(report["messages"]["days"]) == 31

    capsys.readouterr()
    steppe(tmp_path, "stats", "--month", "2026-10")
    table = capsys.readouterr().out
    assert "1,000 monthly users in Kazakhstan, up 25 % on last year" in table
    assert "KZ Kazakhstan" in table and "+25.0 %" in table and "1,200" in table
    assert "private" in table

    steppe(tmp_path, "stats", "--month", "2026-10", "--format", "csv", "--country", "kz")
    countries, messages = capsys.readouterr().out.split("\n\n")
    rows = list(csv.DictReader(io.StringIO(countries)))
    assert [(r["country"], r["mau"], r["mau_year_ago"], r["growth_pct"]) for r in rows] == [
        ("KZ", "1000", "800", "25.0"), ("ALL", "1000", "800", "25.0")]
    kinds = {r["chat_kind"]: r for r in csv.DictReader(io.StringIO(messages))}
    assert int(kinds["private"]["messages_total"]) > int(kinds["group"]["messages_total"]) > 0

    assert fails(tmp_path, "simulate", "--country", "KZ=10", "--month", "2026-10",
                 "--quiet").startswith("STATS_NOT_EMPTY")


def test_simulated_accounts_have_real_numbers(tmp_path: Path) -> None:
    for region in ("KZ", "RU", "CN", "US", "DE"):
        numbers = list(phone_numbers(region, 2000))
        assert len(set(numbers)) == 2000 and numbers == sorted(numbers)
        for raw in numbers[::97]:
            number = phonenumbers.parse(raw)
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.region_code_for_number(number) == region


def test_aggregates_only_and_shares(tmp_path: Path, capsys: Any) -> None:
    steppe(tmp_path, "simulate", "--users", "10k", "--country", "KZ=80%", "--country",
           "UZ=20%@-20", "--month", "2025-12", "--growth", "10", "--no-accounts", "--quiet")
    report = _json(tmp_path, capsys, "--month", "2025-12")
    assert [(r["country"], r["mau"], r["mau_year_ago"]) for r in report["countries"]] == [
        ("KZ", 8000, 7273), ("UZ", 2000, 2500)]
    assert [r["growth_pct"] for r in report["countries"]] == [10.0, -20.0]
    assert report["countries"][0]["signups"] > 0


def test_operator_role_from_the_command_line(tmp_path: Path, capsys: Any) -> None:
    steppe(tmp_path, "simulate", "--country", "KZ=5", "--month", "2026-10", "--quiet")
    capsys.readouterr()
    steppe(tmp_path, "operator", "grant", "1")
    assert "(id 1, +7" in capsys.readouterr().out
    steppe(tmp_path, "operator", "list")
    assert capsys.readouterr().out.startswith("1\t+7")
    steppe(tmp_path, "operator", "revoke", "1")
    assert "no operator any more" in capsys.readouterr().out
    steppe(tmp_path, "operator", "list")
    assert "no operators yet" in capsys.readouterr().out
    assert fails(tmp_path, "operator", "grant", "+77019999999").startswith("USER_ID_INVALID")
    assert fails(tmp_path, "operator", "grant", "nobody").startswith("USER_ID_INVALID")


def test_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    assert fails(tmp_path, "stats", "--month", "2026-13").startswith("MONTH_INVALID")
    assert fails(tmp_path, "stats", "--month", "October").startswith("MONTH_INVALID")
    assert fails(tmp_path, "stats", "--month", "2026-10", "--country", "XX").startswith(
        "COUNTRY_INVALID")
    assert fails(tmp_path, "simulate", "--country", "ZZ=5").startswith("COUNTRY_INVALID")
    assert fails(tmp_path, "simulate", "--country", "KZ=lots").startswith("USERS_INVALID")
    assert fails(tmp_path, "simulate", "--country", "KZ=50%").startswith("USERS_INVALID")
    assert fails(tmp_path, "simulate", "--country", "KZ=5@fast").startswith("GROWTH_INVALID")
    assert fails(tmp_path, "simulate", "--users", "5", "--month", "2026-1").startswith(
        "MONTH_INVALID")
    assert fails(tmp_path, "stats", "--format", "xml") == "2"  # argparse: a usage error
