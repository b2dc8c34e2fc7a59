from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter

from branches.models import ActionBranch, Organization, ServiceAction, town_path
from xiangcheng.periods import QUARTER_NAMES, quarter_of


def organization_check_parent(*, organization: Organization, parent: Organization | None) -> None:
    """Refuse a parent that breaks the tree.

    Levels strictly increase downwards, so the level rule also refuses the organization itself and
    any of its descendants as a parent.
    """
    if parent is None:
        if organization.type != Organization.Type.DISTRICT:
            raise ValidationError({"parent": "只有区委可以没有上级组织，请选择上级组织。"})
        return
    if organization.level <= parent.level:
        raise ValidationError({"parent": f"{organization.get_type_display()}不能设在{parent.get_type_display()}之下。"})


@transaction.atomic
def organization_save(*, organization: Organization, parent: Organization | None) -> Organization:
    """Create an organization under `parent`, or save it and move its subtree to `parent`."""
    organization_check_parent(organization=organization, parent=parent)
    if organization.pk is None:
        organization.full_clean(exclude=["path"])
        if parent is None:
            return Organization.objects.add_root(instance=organization)
        return Organization.objects.add_child(parent, instance=organization)
    organization.full_clean()
    organization.save()
    current_parent = Organization.objects.get_parent(organization)
    if parent is not None and (current_parent is None or current_parent.pk != parent.pk):
        Organization.objects.move(organization, parent, "last-child")
        organization.refresh_from_db()
    return organization


def default_action_branch(user) -> int | None:
    """The action branch a new service action of `user` most likely belongs to: the one they
    logged last, else their only action branch; None when that cannot be told. Two queries at most."""
    mine = ActionBranch.objects.visible_to(user).filter(status=ActionBranch.Status.ACTIVE)
    last = (
        ServiceAction.objects.filter(recorded_by=user, action_branch__in=mine)
        .order_by("-recorded_at", "-pk")
        .values_list("action_branch", flat=True)
        .first()
    )
    if last is not None:
        return last
    only = list(mine.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def attachment_files_discard(names: list[str]) -> None:
    """Delete the stored files of deleted attachments once the deletion is committed."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


# The service totals: how the rows of `service_totals` can be grouped. Each dimension names the
# columns it groups by (and returns in each row).
HOST = "action_branch__organization"
TOTALS_BY = {
    "category": {"category": F("action_branch__category")},
    # The town or subdistrict above the host organization (the district itself for one it hosts).
    "town": {
        "town_code": Subquery(Organization.objects.filter(path=OuterRef("town_path")).values("code")[:1]),
        "town_name": Subquery(Organization.objects.filter(path=OuterRef("town_path")).values("name")[:1]),
    },
    "organization": {"organization_code": F(f"{HOST}__code"), "organization_name": F(f"{HOST}__name")},
    "action_branch": {"action_branch_name": F("action_branch__name")},
    "month": {"month": TruncMonth("served_on")},
    "quarter": {"quarter": TruncQuarter("served_on")},
}
TOTALS_LABELS = {
    "category": "类别",
    "town": "镇（街道）",
    "organization": "承办组织",
    "action_branch": "行动支部",
    "month": "月份",
    "quarter": "季度",
}


def service_totals(actions, start: date, end: date, by: str | tuple[str, ...] = ("category",)) -> list[dict]:
    """Service actions and the person-times they served, in [start, end] (both days included),
    grouped by `by`: one SQL query whatever the number of actions.

    `actions` is a ServiceAction queryset, already limited to what the reader may see
    (`ServiceAction.objects.visible_to(user)`). `by` names one or more of TOTALS_BY:
    category, town, organization (the host organization), action_branch, month, quarter.
    Each row holds its group's columns (see TOTALS_BY; month and quarter are the first day of
    the period, with `month_label` "2025年4月" and `quarter_label` "2025年第2季度"; a category
    comes with its `category_label`), and `actions` and `people_served`. Only groups with actions
    appear; no `by` gives one total row.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    unknown = [name for name in by if name not in TOTALS_BY]
    if unknown:
        raise ValueError(f"Unknown totals dimension(s): {', '.join(unknown)}")
    rows = actions.between(start, end).order_by()
    if "town" in by:
        rows = rows.annotate(town_path=town_path(f"{HOST}__path"))
    columns = {name: expression for dimension in by for name, expression in TOTALS_BY[dimension].items()}
    measures = {"actions": Count("pk"), "people_served": Coalesce(Sum("people_served"), 0)}
    if not columns:
        return [rows.aggregate(**measures)]
    ordering = [("town_path" if dimension == "town" else next(iter(TOTALS_BY[dimension]))) for dimension in by]
    grouped = rows.annotate(**columns).values(*columns, *(["town_path"] if "town" in by else [])).annotate(**measures)
    result = []
    for row in grouped.order_by(*ordering):
        row.pop("town_path", None)
        _label(row)
        result.append(row)
    return result


def _label(row: dict) -> None:
    if "category" in row:
        row["category_label"] = ActionBranch.Category(row["category"]).label
    if "month" in row:
        row["month_label"] = f"{row['month']:%Y}年{row['month'].month}月"
    if "quarter" in row:
        row["quarter_label"] = f"{row['quarter']:%Y}年{QUARTER_NAMES[quarter_of(row['quarter'])]}"
