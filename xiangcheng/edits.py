"""No silent lost update: a change form remembers which version of its record it was opened on
and refuses to save over a newer one.

The version of a record is the id of its newest audit event (django-pghistory; every audited
model has one per insert, update and delete, written by triggers, so bulk updates and imports
count too). The form carries it in a hidden input; on save, inside the admin's transaction and
with the record's row locked, the version is read again. If it moved, the form is shown again
with the user's input kept and a Chinese message naming who changed which fields and when; the
hidden input then holds the new version, so saving again overwrites knowingly.
"""

from functools import cache

import pghistory.models
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangcheng.people import account_name

VERSION_FIELD = "edit_version"


@cache
def event_model(model):
    """The pghistory event model that tracks `model` (a proxy's rows are its concrete model's), or
    None if it is not audited."""
    tracked = model._meta.concrete_model
    for candidate in apps.get_models():
        if issubclass(candidate, pghistory.models.Event) and getattr(candidate, "pgh_tracked_model", None) is tracked:
            return candidate
    return None


def edit_version(obj) -> int:
    """The id of `obj`'s newest audit event (0 if it has none, or is not audited)."""
    events = event_model(type(obj))
    if events is None or obj.pk is None:
        return 0
    return events.objects.filter(pgh_obj_id=obj.pk).aggregate(newest=Max("pgh_id"))["newest"] or 0


def version_subquery(model):
    """An expression: each row's version, for annotating a whole list in one query."""
    newest = event_model(model).objects.filter(pgh_obj_id=OuterRef("pk")).order_by("-pgh_id").values("pgh_id")[:1]
    return Coalesce(Subquery(newest), 0)


def table_version(model) -> int:
    """The id of the newest audit event of any row of `model` (0 if none, or not audited)."""
    events = event_model(model)
    if events is None:
        return 0
    return events.objects.aggregate(newest=Max("pgh_id"))["newest"] or 0


def changed_between(model, ids, after: int, upto: int) -> set:
    """Of the rows `ids` of `model`, those with an audit event after version `after` and up to
    `upto` (an import's preview and the start of its confirm)."""
    events = event_model(model)
    if events is None or not ids:
        return set()
    changed = events.objects.filter(pgh_obj_id__in=list(ids), pgh_id__gt=after, pgh_id__lte=upto)
    return set(changed.values_list("pgh_obj_id", flat=True).distinct())


def changes_since(obj, version: int) -> list[str]:
    """Each change made to `obj` after `version`, as a Chinese sentence: who, when, which fields."""
    events = event_model(type(obj))
    rows = list(
        events.objects.filter(pgh_obj_id=obj.pk, pgh_id__gte=version)
        .order_by("pgh_id")
        .values("pgh_id", "pgh_created_at", "pgh_context__metadata", *[f.attname for f in _fields(obj)])
    )
    labels = {field.attname: str(field.verbose_name) for field in _fields(obj)}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=_user_ids(rows))}
    previous = rows[0] if rows and rows[0]["pgh_id"] == version else None
    sentences = []
    for row in rows:
        if row["pgh_id"] == version:
            continue
        changed = [label for name, label in labels.items() if previous is not None and previous[name] != row[name]]
        user = users.get((row["pgh_context__metadata"] or {}).get("user"))
        at = timezone.localtime(row["pgh_created_at"]).strftime("%Y-%m-%d %H:%M")
        who = account_name(user) if user else "系统或导入"
        what = "修改了" + "、".join(changed) if changed else "保存了该记录"
        sentences.append(f"{who}于 {at} {what}")
        previous = row
    return sentences


class EditConflict(ValidationError):
    """The record changed after the version a form was opened on; `current` is its version now."""

    def __init__(self, message: str, current: int):
        super().__init__(message, code="edit_conflict")
        self.current = current


def check_version(obj, posted) -> None:
    """Lock `obj`'s row and refuse, in Chinese, if it changed after the version `posted`.
    Call inside the transaction that saves it."""
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).exists()
    try:
        opened = int(posted)
    except (TypeError, ValueError):
        opened = None
    current = edit_version(obj)
    if opened == current:
        return
    changes = changes_since(obj, opened) if opened is not None else []
    detail = "；".join(changes) if changes else "在您打开之后已被修改"
    raise EditConflict(
        f"这条记录在您打开之后已被他人修改：{detail}。您的输入已保留在下方；"
        "请核对这些字段后再次保存（再次保存将以您的输入为准）。",
        current,
    )


def _fields(obj):
    """The fields of `obj` its events keep (a model may leave large columns out of its history)."""
    kept = {field.attname for field in event_model(type(obj))._meta.concrete_fields}
    return [field for field in type(obj)._meta.concrete_fields if not field.primary_key and field.attname in kept]


def _user_ids(rows) -> set:
    return {(row["pgh_context__metadata"] or {}).get("user") for row in rows} - {None}
