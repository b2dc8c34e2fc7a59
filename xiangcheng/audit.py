"""The audit trail (django-pghistory triggers) and the access log, shared by every app."""

from functools import cache

import pghistory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

from xiangcheng.auditarchive import archived_events
from xiangcheng.scoping import can_see_full_numbers

LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}
# The admin pages an edit is made on, by the end of their URL names.
PAGES = {
    "changelist": "列表",
    "add": "新增页",
    "change": "修改页",
    "delete": "删除页",
    "import": "导入",
    "process_import": "导入",
}
SITE_PAGES = {"close_report": "关闭季度报表", "reopen_report": "重新开放季度报表"}


def audited(**options):
    """Track every insert, update and delete of a model with database triggers.

    Triggers see bulk imports and `QuerySet.update()` too; the request middleware (or an import)
    attaches the acting user and URL as context. `options` go to `pghistory.track` (for example
    `exclude=[...]` to keep large file columns out of the history).
    """
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **options)


def audited_links(many_to_many) -> None:
    """Track every link added to or removed from a many-to-many field (`Model.field`), with the
    same triggers and request context as `audited()`: its through table has no model of ours."""
    through = many_to_many.through
    pghistory.track(
        pghistory.InsertEvent("add"),
        pghistory.DeleteEvent("remove"),
        obj_field=None,
        model_name=f"{through.__name__}Event",
    )(through)


def history_of(obj) -> list[dict]:
    """The events of one record, newest first, each with its acting user and changed fields: those
    still in the live tables and those archived past the retention (xiangcheng/auditarchive.py)."""
    events = archived_events(obj) + list(
        pghistory.models.Events.objects.tracks(obj)
        .order_by("pgh_created_at", "pgh_id")
        .values("pgh_created_at", "pgh_label", "pgh_data", "pgh_context")
    )
    user_ids = {(event["pgh_context"] or {}).get("user") for event in events} - {None}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids)}
    # The primary key is no field a person edits (and its name, "ID", is no Chinese).
    fields = {field.attname: field.verbose_name for field in obj._meta.concrete_fields if not field.primary_key}
    rows, previous = [], {}
    for event in events:
        data = event["pgh_data"]
        if event["pgh_label"] == "update":
            changed = [key for key, value in data.items() if previous.get(key) != value]
        else:
            changed = list(data)
        context = event["pgh_context"] or {}
        rows.append(
            {
                "at": event["pgh_created_at"],
                "label": LABELS.get(event["pgh_label"], event["pgh_label"]),
                "user": users.get(context.get("user")),
                "page": page_name(context.get("url", "")),
                "import_file": context.get("import_file", ""),
                "changed": [str(fields.get(key, key)) for key in changed if key in fields],
            }
        )
        previous = data
    rows.reverse()
    return rows


def page_name(url: str) -> str:
    """The page an edit was made on, as a person names it ("党员修改页"), from the URL the request
    middleware recorded (a URL is no name to read); "" when there was no request (a command)."""
    if not url:
        return ""
    try:
        return _page_of(resolve(url).url_name or "")
    except Resolver404:
        return "其他页面"


@cache
def _page_of(url_name: str) -> str:
    for model in apps.get_models():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if url_name.startswith(prefix) and url_name.removeprefix(prefix) in PAGES:
            return f"{model._meta.verbose_name}{PAGES[url_name.removeprefix(prefix)]}"
    return SITE_PAGES.get(url_name, "其他页面")


def log_access(*, user, action: str, what: str, rows: int = 0) -> None:
    """One row of the access log (`what` is cut to the column's 200 characters). Written by the
    download helper (xiangcheng/downloads.py) for every file and by `show_full_numbers`."""
    from xiangcheng.models import AccessLog

    AccessLog.objects.create(
        user=user if user and user.is_authenticated else None, action=action, what=what[:200], rows=rows
    )


def show_full_numbers(user, what: str) -> bool:
    """Whether a page about one record (`what`) shows `user` its ID and mobile numbers in full
    rather than masked. When it does, the access log records that they were shown."""
    from xiangcheng.models import AccessLog

    if not can_see_full_numbers(user):
        return False
    log_access(user=user, action=AccessLog.Action.VIEW_FULL_NUMBER, what=what, rows=1)
    return True
