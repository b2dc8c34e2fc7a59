"""Plan targets (计划目标): how far a district-wide target has come, and whether it is on pace.

A target (`xiangcheng.models.Target`) names a counting rule by key. The rules live in the apps
above this one (branches, talent, members, cadres), each app's in its `reports.py`, so this
module never imports them:

    @register_rule("talents_introduced", "窗口内引进的人才", changelist_url=talents_introduced_url)
    def talents_introduced(target, start, end) -> QuerySet: ...

where the decorated function returns the rows of the dated events in [start, end], both days
included (a talent's arrival date, a branch's founding date — never current state, so any period
can be recounted later), not their count: `progress_list` counts the rows of every target in one
query, so a page of targets costs the same whatever their number. The optional
`talents_introduced_url(target, start, end)` gives the admin list of the
same rows, which the dashboard links each number to.

The arithmetic, all in whole days, both ends of the window included:

- actual: the events counted from the window start to `on` (or the window end, if earlier).
- expected: where the target should stand at the end of day `on`. The window is a line from 0 at
  its start to `value` at its end; yearly milestones (`TargetMilestone`) put points on that line
  that it must pass through, and between two points the line is straight. Without milestones
  that is `value × elapsed share`, with elapsed share = (on − start + 1 day) / (end − start + 1 day).
- expected and projected are rounded to whole numbers half up (2.5 → 3), not Python's
  half-to-even `round()`: a district report must round 0.5 the way people do by hand, and the
  same way every year.
- status: on pace from 100% of expected (also when nothing is expected yet), behind from 85%,
  far behind below that. Decided in integers, so 85% is exactly 85%.
- projected: the end value if the pace so far holds (actual / elapsed share).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import models

from xiangcheng.counting import count_each
from xiangcheng.registry import Registry

if TYPE_CHECKING:
    from xiangcheng.models import Target

RowsFunction = Callable[["Target", date, date], models.QuerySet]
UrlFunction = Callable[["Target", date, date], str]

# Below this share of the expected value a target is far behind; from here up to 100% it is behind.
BEHIND_FROM_PERCENT = 85


class Rule(NamedTuple):
    key: str
    label: str
    rows: RowsFunction
    changelist_url: UrlFunction | None = None


rules: Registry[Rule] = Registry("target rule")


class Status(models.TextChoices):
    ON_PACE = "on_pace", "按计划推进"
    BEHIND = "behind", "进度滞后"
    FAR_BEHIND = "far_behind", "严重滞后"


@dataclass(frozen=True)
class Progress:
    """Where one target stands on one day; see the module docstring for the arithmetic."""

    actual: int
    expected: int
    # actual / expected; None while nothing is expected yet.
    ratio: Decimal | None
    status: str
    status_label: str
    projected: int


def register_rule(key: str, label: str, *, changelist_url: UrlFunction | None = None):
    """Register the decorated function as the counting rule `key`, offered to targets as `label`.

    The function, `rows(target, start, end)`, returns a queryset of the dated events that fall in
    [start, end], both days included (unevaluated; the caller counts it); it may narrow them with
    `target.parameter` (an honour's name, for example). `changelist_url(target, start, end)`, if
    given, returns the admin list of those events. Registering a key twice is a configuration error.
    """

    def register(rows: RowsFunction) -> RowsFunction:
        rules.add(Rule(key, label, rows, changelist_url))
        return rows

    return register


def actual_url(target: Target, on: date) -> str:
    """The admin list of what `target`'s actual value counts on `on` ("" if the rule gives none)."""
    rule = rules.get(target.rule)
    if rule is None or rule.changelist_url is None or on < target.start:
        return ""
    return rule.changelist_url(target, target.start, min(on, target.end))


def get_rule(key: str) -> Rule | None:
    return rules.get(key)


def rule_choices() -> list[tuple[str, str]]:
    """(key, label) of every registered rule, for a form's choices, in registration order."""
    return [(rule.key, rule.label) for rule in rules]


def rule_label(key: str) -> str:
    rule = rules.get(key)
    return rule.label if rule else f"未注册的规则（{key}）"


def progress(target: Target, on: date) -> Progress:
    """Where `target` stands at the end of day `on`. Raises LookupError if the target's rule is
    not registered."""
    rule = rules.get(target.rule)
    if rule is None:
        raise LookupError(f"计划目标“{target}”的统计规则“{target.rule}”未注册。")
    ((_, found),) = progress_list([target], on)
    return found


def progress_list(
    targets: Iterable[Target], on: date, actuals: dict[str, int] | None = None
) -> list[tuple[Target, Progress | None]]:
    """Each target with its progress on `on` (None where its rule is no longer registered).

    At most three queries whatever the number of targets: the targets, if a queryset is given;
    their milestones, unless already prefetched; and one for all their counts, unless `actuals`
    (`target_actuals(...)["actuals"]` of these targets on `on`, as stored by the dashboard)
    holds them.
    """
    targets = list(targets)
    models.prefetch_related_objects([target for target in targets if target.pk is not None], "milestones")
    registered = [target for target in targets if target.rule in rules]
    if actuals is None or any(str(target.pk) not in actuals for target in registered):
        counts = iter(_counts(registered, on))
        found = [next(counts) for _ in registered]
    else:
        found = [actuals[str(target.pk)] for target in registered]
    by_target = dict(zip(map(id, registered), found, strict=True))
    return [
        (target, _target_progress(target, on, by_target[id(target)]) if target.rule in rules else None)
        for target in targets
    ]


def target_actuals(targets: Iterable[Target], on: date) -> dict:
    """{"on": `on`, "actuals": {target key: the rows its rule counts on `on`}} for the saved
    targets with a registered rule, in one query: what `progress_list` needs besides the targets
    themselves, with the day it holds for (the dashboard stores it, and may show it a day later)."""
    registered = [target for target in targets if target.rule in rules and target.pk is not None]
    actuals = dict(zip([str(target.pk) for target in registered], _counts(registered, on), strict=True))
    return {"on": on.isoformat(), "actuals": actuals}


def _counts(targets: list[Target], on: date) -> list[int]:
    return count_each(_rows(target, on) for target in targets)


def _rows(target: Target, on: date) -> models.QuerySet:
    """The rows `target`'s rule counts from the window start to `on` (or the window end)."""
    return rules.get(target.rule).rows(target, target.start, min(on, target.end))


def _target_progress(target: Target, on: date, actual: int) -> Progress:
    if on < target.start:
        return _progress(actual=0, expected=0, projected=0)
    elapsed_days, total_days = window_days(target.start, target.end, on)
    expected = round_half_up(_expected_value(target, elapsed_days))
    projected = actual if on >= target.end else round_half_up(Decimal(actual * total_days) / elapsed_days)
    return _progress(actual=actual, expected=expected, projected=projected)


def window_days(start: date, end: date, on: date) -> tuple[int, int]:
    """(elapsed, total): the whole days of the window [start, end] used up by the end of `on` (0
    before the start, `total` from the end on), and the days of the window, both ends included.
    The day arithmetic of everything planned against a date (targets, secretary projects)."""
    total = _day_number(start, end)
    return max(0, min(_day_number(start, on), total)), total


def planned_value(start: date, end: date, on: date, value: int) -> int:
    """Where a plan of `value` spread evenly over [start, end] should stand at the end of `on`:
    value × elapsed share, rounded half up."""
    elapsed, total = window_days(start, end, on)
    return round_half_up(Decimal(value * elapsed) / total)


def _day_number(start: date, day: date) -> int:
    """Whole days from `start` used up by the end of `day`: 1 on the first day."""
    return (day - start).days + 1


def _expected_value(target: Target, elapsed_days: int) -> Decimal:
    """The line through (0, 0), each milestone and (window end, value), read at `elapsed_days`."""
    milestones = target.milestones.all() if target.pk is not None else []
    # Sorted here rather than in SQL, so prefetched milestones need no further query; a milestone
    # outside the window (clean() refuses one, but the window may have been moved since) is ignored.
    inside = sorted((m for m in milestones if target.start <= m.due_on <= target.end), key=lambda m: m.due_on)
    points = [(0, 0)] + [(_day_number(target.start, m.due_on), m.value) for m in inside]
    total_days = _day_number(target.start, target.end)
    if points[-1][0] < total_days:
        points.append((total_days, target.value))
    for (day_before, value_before), (day_after, value_after) in zip(points, points[1:], strict=False):
        if elapsed_days <= day_after:
            span = Decimal(day_after - day_before)
            return value_before + (value_after - value_before) * (elapsed_days - day_before) / span
    return Decimal(points[-1][1])


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pace_status(actual: int, expected: int) -> Status:
    """The pace scale shared by everything planned against a date (targets, secretary projects):
    on pace from 100% of expected (also when nothing is expected yet), behind from 85%, far behind below."""
    if actual >= expected:
        return Status.ON_PACE
    if actual * 100 >= expected * BEHIND_FROM_PERCENT:
        return Status.BEHIND
    return Status.FAR_BEHIND


def _progress(*, actual: int, expected: int, projected: int) -> Progress:
    status = pace_status(actual, expected)
    return Progress(
        actual=actual,
        expected=expected,
        ratio=Decimal(actual) / expected if expected else None,
        status=status.value,
        status_label=status.label,
        projected=projected,
    )
