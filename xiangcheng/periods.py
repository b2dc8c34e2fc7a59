"""Calendar periods the department reports by: years and quarters, both ends included."""

from datetime import date
from typing import NamedTuple

# The years a report may be asked for (the report form's year field, every filter of a year or a
# day) and the earliest a record may be for.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Period(NamedTuple):
    start: date
    end: date
    label: str


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year}年")


# The one way a quarter is named, as documents name it (第四季度, not 第4季度).
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def quarter_period(year: int, quarter: int) -> Period:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter!r}")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1).replace(day=1)
    if quarter != 4:
        end = date.fromordinal(end.toordinal() - 1)
    return Period(start, end, f"{year}年{QUARTER_NAMES[quarter]}")


def period_of(year: int, quarter: int | None) -> Period:
    """The quarter of `year`, or the whole year when `quarter` is None."""
    return quarter_period(year, quarter) if quarter else year_period(year)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def reference_day(period: Period, today: date) -> date:
    """The day a period's state is judged on: today while it runs, its last day once it is over."""
    return min(max(today, period.start), period.end)


# A list filter judged on a day takes a state and the day it is judged on ("not_met@2026-06-30"),
# or a state alone, judged today (a choice of the list's sidebar): how a report's numbers link to
# their lists, judged on the day the numbers were counted (a quarter already over: its last day).
DAY_MARK = "@"


def judged_value(state: str, on: date) -> str:
    """A judged filter's value for the rows in `state` on `on`."""
    return f"{state}{DAY_MARK}{on.isoformat()}"


def judged_parameter(value) -> tuple[str, date | None] | None:
    """(state, day, or None when the value names no day) of a judged filter's value, or None for
    a malformed day or one in a year no report covers."""
    state, separator, day = str(value or "").partition(DAY_MARK)
    if not separator:
        return state, None
    try:
        on = date.fromisoformat(day)
    except ValueError:
        return None
    return (state, on) if FIRST_YEAR <= on.year <= LAST_YEAR else None
