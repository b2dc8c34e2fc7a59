"""Data quality (数据质量): the records that would make a report wrong, each count linking to the
list where they are fixed.

Apps register checks in their `reports.py`, decorating the function that returns the rows at
fault:

    @register_check("talent_no_introduction_date", "未填引进日期的人才", model=Talent,
                    filters={"introduced_on__isnull": "True"})
    def talents_without_introduction_date(user):
        return Talent.objects.filter(introduced_on__isnull=True)

`model` is the model whose rows the check counts: a user who may not view it does not see the
check at all. The page limits the rows to what the user may see (so a check cannot forget
scoping) and counts them: one query per check, whatever the data size. `filters` are the list
filters of the model's admin list showing the same rows, where they are fixed: a dict, or a
function returning one when they depend on the day. `{"quality": <value>}` is the admin's
数据问题 filter (`xiangcheng.admin.QualityFilter`), fed by `quality_filter_checks(model)`.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

from django.utils import timezone

from xiangcheng.counting import count_each
from xiangcheng.registry import Registry
from xiangcheng.reports import changelist_url
from xiangcheng.scoping import has_model_permission, visible
from xiangcheng.snapshots import figures, snapshot_key

# The admin list filter showing a check's rows (xiangcheng.admin.QualityFilter).
QUALITY_PARAMETER = "quality"


class Check(NamedTuple):
    key: str
    label: str
    model: Any
    rows: Callable
    filters: dict | Callable[[], dict]

    def url(self) -> str:
        """The admin list of `model` showing the rows at fault."""
        filters = self.filters() if callable(self.filters) else self.filters
        return changelist_url(self.model, **filters)


class Result(NamedTuple):
    key: str
    label: str
    count: int
    url: str


checks: Registry[Check] = Registry("data-quality check")


def register_check(key: str, label: str, *, model, filters: dict | Callable[[], dict]):
    """Register the decorated `rows(user)`, returning the rows of `model` at fault, as check `key`."""

    def register(rows: Callable) -> Callable:
        checks.add(Check(key, label, model, rows, filters))
        return rows

    return register


def run_checks(user) -> list[Result]:
    """Every check on a model `user` may view, counted within what `user` may see: one query,
    stored until the data changes (xiangcheng/snapshots.py)."""
    shown = [check for check in checks if has_model_permission(user, check.model)]
    today = timezone.localdate()
    # Keyed by the year as well: some checks count the current year's rows, and the lists they
    # link to judge the year when opened (counts of an earlier day are shown only within it).
    key = snapshot_key(user, "quality", today.year)
    counts = figures(
        {key: lambda: count_each(visible(check.rows(user), user, counting=True) for check in shown)}, day=today
    )[key]
    return [Result(check.key, check.label, count, check.url()) for check, count in zip(shown, counts, strict=True)]


def quality_filter_checks(model) -> dict[str, tuple[str, Callable]]:
    """{value: (label, rows)} of the checks on `model` whose list is its admin's 数据问题 filter."""
    return {
        check.filters[QUALITY_PARAMETER]: (check.label, check.rows)
        for check in checks
        if check.model is model and isinstance(check.filters, dict) and QUALITY_PARAMETER in check.filters
    }
