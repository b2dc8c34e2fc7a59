"""Calendar periods the department reports by: years and quarters, both ends included."""

from datetime import date
from typing import NamedTuple


class Period(NamedTuple):
    start: date
    end: date
    label: str


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year}年")


def quarter_period(year: int, quarter: int) -> Period:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter!r}")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1).replace(day=1)
    if quarter != 4:
        end = date.fromordinal(end.toordinal() - 1)
    return Period(start, end, f"{year}年第{quarter}季度")


def period_of(year: int, quarter: int | None) -> Period:
    """The quarter of `year`, or the whole year when `quarter` is None."""
    return quarter_period(year, quarter) if quarter else year_period(year)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def reference_day(period: Period, today: date) -> date:
    """The day a period's state is judged on: today while it runs, its last day once it is over."""
    return min(max(today, period.start), period.end)
