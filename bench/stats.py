"""Percentiles and number formatting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def percentiles(values: Iterable[float], points: Sequence[float] = (50, 95, 99, 100)
                ) -> dict[str, float]:
    data = sorted(values)
    out: dict[str, float] = {}
    for p in points:
        key = "max" if p == 100 else f"p{p:g}"
        if not data:
            out[key] = float("nan")
            continue
        k = min(len(data) - 1, max(0, int(round(p / 100 * len(data) + 0.5)) - 1))
        out[key] = data[k]
    return out


def fmt(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value != value:
        return "n/a"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 100):
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def lat(p: dict[str, float]) -> str:
    """p50/p95/p99/max in ms."""
    return " / ".join(fmt(p[k]) for k in ("p50", "p95", "p99", "max")) + " ms"
