"""Data quality (数据质量): the records that would make a report wrong, each count linking to the
list where they are fixed.

Apps register checks from `AppConfig.ready()`:

    register_check("talent_no_introduction_date", "未填引进日期的人才",
                   lambda user: Talent.objects.filter(introduced_on__isnull=True),
                   lambda: changelist_url(Talent, introduced_on__isnull="True"))

`count_queryset(user)` returns the rows at fault; the page limits it to what the user may see
(so a check cannot forget scoping) and counts it: one query per check, whatever the data size.
`changelist_url` is the URL (or a function returning it, called per request) of the admin list
showing the same rows, where they are fixed. A user sees the checks of the models they may view.
"""

from collections.abc import Callable
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured

from xiangcheng.scoping import visible


class Check(NamedTuple):
    key: str
    label: str
    count_queryset: Callable
    changelist_url: str | Callable[[], str]


class Result(NamedTuple):
    key: str
    label: str
    count: int
    url: str


_checks: dict[str, Check] = {}


def register_check(key: str, label: str, count_queryset: Callable, changelist_url: str | Callable[[], str]) -> None:
    existing = _checks.get(key)
    if existing is not None and existing.count_queryset is not count_queryset:
        raise ImproperlyConfigured(f"Data-quality check {key!r} is already registered.")
    _checks[key] = Check(key, label, count_queryset, changelist_url)


def run_checks(user) -> list[Result]:
    """Every check on a model `user` may view, counted within what `user` may see."""
    results = []
    for check in _checks.values():
        queryset = check.count_queryset(user)
        opts = queryset.model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        url = check.changelist_url() if callable(check.changelist_url) else check.changelist_url
        results.append(Result(check.key, check.label, visible(queryset, user).count(), url))
    return results
