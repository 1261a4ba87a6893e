"""`steppe admin operator|stats|simulate`: the operator's analytics from the command line."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time
from typing import Any, TextIO

import msgspec

from steppe.domain import stats as dst
from steppe.domain.errors import RpcError, bad_request

FORMATS = ("table", "json", "csv")


def _last_month() -> str:
    return dst.month_str(dst.add_months(dst.month_of_day(dst.day_of(int(time.time()))), -1))


def _run(args: argparse.Namespace, work: Any) -> Any:
    from steppe.cli import _with_app

    try:
        return asyncio.run(_with_app(args, work))
    except RpcError as err:
        sys.exit(f"{err.type}: {err.message}" if err.message else err.type)


# ---- operator ------------------------------------------------------------------------------------

def operator(args: argparse.Namespace) -> None:
    async def work(app: Any) -> Any:
        stats = app.services.stats
        if args.action == "list":
            return await stats.operators()
        return await stats.set_operator(args.who, args.action == "grant")

    result = _run(args, work)
    if args.action == "list":
        for op in result:
            print(f"{op['user_id']}\t{op['phone']}\t{op['first_name']}")
        if not result:
            print("no operators yet: steppe admin operator grant PHONE|USER_ID")
        return
    user, changed = result
    who = f"{user.first_name} (id {user.id}, {user.phone or 'no phone'})"
    if args.action == "grant":
        print(f"{who} is an operator" + ("" if changed else " already"))
    else:
        print(f"{who} is no operator" + (" any more" if changed else ""))


# ---- stats ---------------------------------------------------------------------------------------

def stats(args: argparse.Namespace) -> None:
    async def work(app: Any) -> Any:
        return await app.services.stats.report(None, args.month, args.country or None)

    report = _run(args, work)
    out = sys.stdout
    if args.format == "json":
        out.write(msgspec.json.format(msgspec.json.encode(report), indent=2).decode() + "\n")
    elif args.format == "csv":
        write_csv(report, out)
    else:
        write_table(report, out)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f} %"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def write_table(report: dict[str, Any], out: TextIO) -> None:
    month, ago = report["month"], report["year_ago"]
    out.write(f"Monthly active users, {month} (against {ago}; DAU averaged over "
              f"{report['days']} days)\n\n")
    if report["headline"]:
        out.write(f"  {report['headline']}\n\n")
    header = (f"{'country':<24} {'MAU':>13} {ago + ' MAU':>13} {'growth':>9} {'DAU':>13}"
              f" {'DAU/MAU':>8} {'sign-ups':>11}\n")
    out.write(header)
    out.write("-" * (len(header) - 1) + "\n")
    for row in [*report["countries"], report["total"]]:
        label = f"{row['country']} {row['name']}"[:24]
        out.write(f"{label:<24} {row['mau']:>13,} {row['mau_year_ago']:>13,}"
                  f" {_pct(row['growth_pct']):>9} {row['dau']:>13,} {_ratio(row['dau_mau']):>8}"
                  f" {row['signups']:>11,}\n")
    msgs = report["messages"]
    out.write(f"\nMessages per day by chat kind, {month}\n")
    if not msgs["total"]:
        out.write("  none recorded\n")
    for kind, total in msgs["total"].items():
        out.write(f"  {kind:<12} {msgs['per_day'][kind]:>15,} a day {total:>17,} in the month\n")
    out.write(f"\n(query {report['query_ms']} ms)\n")


def write_csv(report: dict[str, Any], out: TextIO) -> None:
    """The country table (with an ALL row), an empty line, then messages by chat kind."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["month", "country", "name", "mau", "mau_year_ago", "growth_pct", "dau",
                "dau_mau", "signups"])
    for row in [*report["countries"], report["total"]]:
        w.writerow([report["month"], row["country"], row["name"], row["mau"], row["mau_year_ago"],
                    "" if row["growth_pct"] is None else row["growth_pct"], row["dau"],
                    "" if row["dau_mau"] is None else row["dau_mau"], row["signups"]])
    w.writerow([])
    w.writerow(["month", "chat_kind", "messages_per_day", "messages_total"])
    msgs = report["messages"]
    for kind, total in msgs["total"].items():
        w.writerow([report["month"], kind, msgs["per_day"][kind], total])
    out.write(buf.getvalue())


# ---- simulate ------------------------------------------------------------------------------------

def parse_count(raw: str) -> int:
    """'12500000', '12.5M', '800k' -> a number of users."""
    text = raw.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    try:
        value = float(text[:-1] if scale > 1 else text)
    except ValueError:
        raise bad_request("USERS_INVALID", f"not a number of users: {raw!r}") from None
    if not 0 < value * scale <= 100_000_000:
        raise bad_request("USERS_INVALID", "between 1 and 100 million users")
    return round(value * scale)


def country_growth(specs: list[str]) -> dict[str, float]:
    """The per-country growth of --country CC=USERS@GROWTH (percent)."""
    out = {}
    for spec in specs:
        code, _, value = spec.partition("=")
        if "@" in value:
            try:
                out[dst.parse_country(code)] = float(value.rpartition("@")[2].rstrip("% "))
            except ValueError:
                raise bad_request("GROWTH_INVALID", f"not a growth in percent: {spec!r}") from None
    return out


def plan_countries(total: int | None, specs: list[str]) -> dict[str, int]:
    """--users N and --country CC=COUNT|CC=SHARE%[@GROWTH] -> users per country."""
    fixed: dict[str, int] = {}
    shares: dict[str, float] = {}
    for spec in specs:
        code, sep, value = spec.partition("=")
        value = value.partition("@")[0]
        if not sep:
            raise bad_request("COUNTRY_INVALID", f"write CC=USERS or CC=PERCENT%, not {spec!r}")
        country = dst.parse_country(code)
        if value.strip().endswith("%"):
            try:
                shares[country] = float(value.strip()[:-1]) / 100
            except ValueError:
                raise bad_request("COUNTRY_INVALID", f"not a share: {spec!r}") from None
        else:
            fixed[country] = parse_count(value)
    if not specs:
        shares = dict(_default_mix())
    if shares:
        if total is None:
            raise bad_request("USERS_INVALID", "a share (CC=P%) needs --users")
        fixed.update({c: round(total * s) for c, s in shares.items() if round(total * s) > 0})
    elif total is not None and not fixed:
        raise bad_request("USERS_INVALID", "nothing to simulate")
    if not fixed:
        raise bad_request("USERS_INVALID", "nothing to simulate: give --users or --country")
    return fixed


def _default_mix() -> dict[str, float]:
    from steppe.services.simulate import DEFAULT_MIX

    return DEFAULT_MIX


class ProgressBar:
    """One line per country on stderr: done/total, percent and rate, redrawn at most 5 times a
    second."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30):
        self.stream, self.width = stream, width
        self.started: dict[str, float] = {}
        self.drawn = 0.0

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.perf_counter()
        start = self.started.setdefault(label, now)
        if 0 < done < total and now - self.drawn < 0.2:
            return
        self.drawn = now
        filled = self.width * done // max(total, 1)
        rate = done / max(now - start, 1e-6)
        self.stream.write(f"\r{label} [{'#' * filled}{'.' * (self.width - filled)}]"
                          f" {100 * done / max(total, 1):5.1f} % {done:>12,}/{total:,} users"
                          f" {rate:>10,.0f}/s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def simulate(args: argparse.Namespace) -> None:
    from steppe.services.simulate import Plan, Simulator

    try:
        total = parse_count(args.users) if args.users else None
        plan = Plan(countries=plan_countries(total, args.country or []),
                    month=dst.parse_month(args.month), growth_pct=args.growth,
                    dau_ratio=args.dau_ratio, accounts=not args.no_accounts, seed=args.seed,
                    batch=args.batch, growth_by_country=country_growth(args.country or []))
    except RpcError as err:
        sys.exit(f"{err.type}: {err.message}")
    growths = [plan.growth_pct, *plan.growth_by_country.values()]
    if not all(-90 <= g <= 1000 for g in growths) or not 0 < plan.dau_ratio <= 1:
        sys.exit("SIMULATE_INVALID: --growth between -90 and 1000, --dau-ratio in (0, 1]")
    started = time.perf_counter()

    async def work(app: Any) -> Any:
        return await Simulator(app.core).run(plan, None if args.quiet else ProgressBar())

    result = _run(args, work)
    took = time.perf_counter() - started
    users = sum(plan.countries.values())
    print(f"simulated {users:,} users in {len(plan.countries)} countries and a year of activity"
          f" up to {dst.month_str(plan.month)} in {took:.1f} s ({users / took:,.0f} users/s;"
          f" {result['accounts']:,} accounts written)")
    print(f"now: steppe admin stats --month {dst.month_str(plan.month)}")


def add_commands(admin: Any) -> None:
    """Add `operator`, `stats` and `simulate` to the `steppe admin` subcommands."""
    p = admin.add_parser("operator", help="grant, revoke or list the operator role")
    p.add_argument("action", choices=("grant", "revoke", "list"))
    p.add_argument("who", nargs="?", default="", help="PHONE or USER_ID")
    p.set_defaults(func=_operator_checked)

    p = admin.add_parser("stats", help="monthly active users per country, growth, messages")
    p.add_argument("--month", default=_last_month(), help="YYYY-MM (default: last month)")
    p.add_argument("--format", default="table", choices=FORMATS, help="table (default), json or csv")
    p.add_argument("--country", action="append", help="only this country (repeatable)")
    p.set_defaults(func=stats)

    p = admin.add_parser("simulate", help="generate users and a year of activity (demo, bench)")
    p.add_argument("--users", help="total users, e.g. 1000000 or 1M (with CC=P%% shares)")
    p.add_argument("--country", action="append",
                   help="CC=USERS (e.g. KZ=12.5M) or CC=PERCENT%% of --users, optionally"
                        " @GROWTH%% for that country (KZ=12.5M@25); repeatable")
    p.add_argument("--month", default=_last_month(), help="the last simulated month (YYYY-MM)")
    p.add_argument("--growth", type=float, default=25.0, help="MAU growth over the year, %%")
    p.add_argument("--dau-ratio", type=float, default=0.5, help="DAU / accounts on a weekday")
    p.add_argument("--no-accounts", action="store_true",
                   help="write only the aggregates (no user rows): fast, for the query alone")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=100_000, help="accounts per transaction")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=simulate)


def _operator_checked(args: argparse.Namespace) -> None:
    if args.action != "list" and not args.who:
        sys.exit(f"steppe admin operator {args.action} PHONE|USER_ID")
    operator(args)
