"""What the action branches report: the 行动支部 section of the quarterly report and the
dashboard, with action branches by category, the service log by category and month, and the
pace of the secretary projects."""

from datetime import date

from django.db.models import Count
from django.utils import timezone

from branches.models import ActionBranch, ProjectProgress, SecretaryProject, ServiceAction
from branches.services import service_totals
from xiangcheng.forms import window_value
from xiangcheng.reports import Cell, Chart, Figure, Section, Table, changelist_url, register_section, scoped
from xiangcheng.targets import Status

CATEGORIES = ActionBranch.Category


@register_section(
    "action_branches", "行动支部", order=10, models=[ActionBranch, ServiceAction, SecretaryProject, ProjectProgress]
)
def action_branch_section(organization, user, start: date, end: date) -> Section:
    """Five queries whatever the data size: branches by category, actions by category, actions by
    month and category, and the secretary projects of the year with their latest progress."""
    period = {"served_on__gte": start, "served_on__lte": end}
    branches = dict(
        scoped(ActionBranch.objects.all(), user, organization)
        .filter(status=ActionBranch.Status.ACTIVE, founded_on__lte=end)
        .values_list("category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    actions = scoped(ServiceAction.objects.all(), user, organization)
    by_category = {row["category"]: row for row in service_totals(actions, start, end, by="category")}
    by_month = service_totals(actions, start, end, by=("month", "category"))

    def actions_url(**filters):
        return changelist_url(ServiceAction, organization, **period, **filters)

    category_rows = []
    for value, label in CATEGORIES.choices:
        found = by_category.get(value, {"actions": 0, "people_served": 0})
        url = actions_url(action_branch__category__exact=value)
        category_rows.append(
            [
                label,
                Cell(
                    branches.get(value, 0),
                    changelist_url(
                        ActionBranch, organization, category__exact=value, status__exact="active", founded_on__lte=end
                    ),
                ),
                Cell(found["actions"], url),
                Cell(found["people_served"], url),
            ]
        )
    total_actions = sum(row[2].value for row in category_rows)
    total_people = sum(row[3].value for row in category_rows)
    all_url = actions_url()
    branches_url = changelist_url(ActionBranch, organization, status__exact="active", founded_on__lte=end)

    months = sorted({row["month"] for row in by_month})
    people = {(row["month"], row["category"]): row["people_served"] for row in by_month}
    month_rows = [
        [
            f"{month:%Y}年{month.month}月",
            *(
                Cell(
                    people.get((month, value), 0),
                    changelist_url(
                        ServiceAction,
                        organization,
                        served_on__gte=max(start, month),
                        served_on__lte=min(end, _month_end(month)),
                        action_branch__category__exact=value,
                    ),
                )
                for value in CATEGORIES.values
            ),
        ]
        for month in months
    ]

    on = min(end, timezone.localdate())
    projects = list(
        scoped(SecretaryProject.objects.filter(year=start.year), user, organization)
        .with_latest_percent(until=end)
        .select_related("organization")
        .order_by("organization__path", "name")
    )
    projects_url = changelist_url(SecretaryProject, organization, year__exact=start.year)
    behind_url = changelist_url(SecretaryProject, organization, behind=window_value(start, end))
    project_rows, behind = [], 0
    for project in projects:
        status = project.pace(on)
        behind += status != Status.ON_PACE
        project_rows.append(
            [
                Cell(project.name, projects_url),
                project.organization.name,
                f"{project.expected_percent(on)}%",
                f"{project.percent_complete}%",
                status.label,
            ]
        )
    return Section(
        figures=[
            Figure("行动支部", sum(branches.values()), branches_url),
            Figure("本期服务次数", total_actions, all_url),
            Figure("本期服务人次", total_people, all_url),
            Figure(f"{start.year}年书记项目", len(projects), projects_url),
            Figure("进度滞后的书记项目", behind, behind_url, shortfall=True),
        ],
        tables=[
            Table(
                "行动支部与服务（按类别）",
                ["类别", "行动支部", "服务次数", "服务人次"],
                category_rows,
                total=[
                    "合计",
                    Cell(sum(branches.values()), branches_url),
                    Cell(total_actions, all_url),
                    Cell(total_people, all_url),
                ],
                chart=Chart("bar", columns=(2, 3)),
            ),
            Table("服务人次（按月份、类别）", ["月份", *CATEGORIES.labels], month_rows, chart=Chart("bar")),
            Table("书记项目进度", ["项目", "责任组织", "应完成", "已完成", "进度"], project_rows),
        ],
        note="服务按服务日期计入；行动支部为期末运行中的支部。书记项目的进度取期末前最近一次进展报告，"
        "与按计划完成日期折算的应完成比例比较；已完成的项目计为按计划推进。",
    )


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
