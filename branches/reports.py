"""What the action branches report: the 行动支部 section of the quarterly report and the
dashboard, with action branches by category, the service log by category and month, and the
pace of the secretary projects; and the 网格化治理 section, with grid coverage, the grid log and
the general social workers, by town and by worker."""

from datetime import date

from django.db.models import Count, OuterRef, Q, Sum
from django.utils import timezone

from branches.models import (
    MAX_BRANCH_MEMBERS,
    MIN_FULL_MEMBERS,
    OVERDUE_AFTER_DAYS,
    TERM_ENDING_DAYS,
    TOWN_DEPTH,
    ActionBranch,
    Grid,
    GridLogEntry,
    GridRole,
    Organization,
    ProjectProgress,
    SecretaryProject,
    ServiceAction,
    SocialWorker,
    days_taken,
    has_member,
    has_overdue_problem,
    has_social_worker,
    overdue_on,
    town_path,
)
from branches.services import service_totals
from xiangcheng.counting import count_per_group, count_subquery
from xiangcheng.forms import window_value
from xiangcheng.periods import Period, reference_day
from xiangcheng.reports import Cell, Chart, Figure, Section, Table, changelist_url, register_section, scoped
from xiangcheng.targets import Status
from xiangcheng.todos import Due, register_todo

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

    # Judged on the day the list filter judges it (`BehindFilter`), so the number and its list agree.
    on = reference_day(Period(start, end, ""), timezone.localdate())
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
            Table("书记项目进度", ["项目", "责任组织", "应完成", "已完成", "进度"], project_rows, labels=2),
        ],
        note="服务按服务日期计入；行动支部为期末运行中的支部。书记项目的进度取期末前最近一次进展报告，"
        "与按计划完成日期折算的应完成比例比较；已完成的项目计为按计划推进。",
    )


@register_section("grids", "网格化治理", order=15, models=[Grid, GridRole, GridLogEntry, SocialWorker])
def grid_section(organization, user, start: date, end: date) -> Section:
    """Grid coverage on the period's reference day (today while it runs, its last day once over):
    grids without a party member, without a general social worker, with a problem open longer than
    OVERDUE_AFTER_DAYS; the grid log of the period; by town and by social worker. Five queries
    whatever the data size. Every rule is the one its list filter applies (branches/models/grids.py)."""
    on = reference_day(Period(start, end, ""), timezone.localdate())
    window = window_value(start, end)
    grids = scoped(Grid.objects.all(), user, organization).existing_on(on)
    entries = scoped(GridLogEntry.objects.all(), user, organization)
    workers = scoped(SocialWorker.objects.all(), user, organization).running_on(on)
    raised, solved = Q(raised_on__range=(start, end)), Q(solved_on__range=(start, end))

    by_town = {}

    def town(path) -> dict:
        return by_town.setdefault(str(path), {})

    coverage = count_per_group(
        grids.annotate(town=town_path("organization__path")),
        "town",
        {"no_member": ~has_member(on), "no_social_worker": ~has_social_worker(on), "overdue": has_overdue_problem(on)},
    )
    for row in coverage:
        town(row.pop("town")).update(grids=row.pop("rows"), **row)
    log = (
        entries.annotate(town=town_path("grid__organization__path"))
        .values("town")
        .annotate(
            raised=Count("pk", filter=raised),
            solved=Count("pk", filter=solved),
            days=Sum(days_taken(), filter=solved),
            overdue_entries=Count("pk", filter=overdue_on(on)),
        )
        .order_by()
    )
    for row in log:
        town(row.pop("town")).update(row)
    for row in workers.annotate(town=town_path("organization__path")).values("town").annotate(n=Count("pk")).order_by():
        town(row["town"]).update(workers=row["n"])
    places = {str(place.path): place for place in Organization.objects.filter(path__in=list(by_town))}

    grid_filters = {
        "grids": {"existing": window},
        "no_member": {"no_member": window},
        "no_social_worker": {"no_social_worker": window},
        "overdue": {"overdue": window},
    }
    log_filters = {
        "raised": {"raised_on__gte": start, "raised_on__lte": end},
        "solved": {"solved_on__gte": start, "solved_on__lte": end},
        "overdue_entries": {"overdue": window},
    }

    def cells(counts: dict, place) -> list:
        return [
            *(
                Cell(counts.get(key, 0), changelist_url(Grid, place, **filters))
                for key, filters in grid_filters.items()
            ),
            Cell(counts.get("workers", 0), changelist_url(SocialWorker, place, on_duty=window)),
            Cell(counts.get("raised", 0), changelist_url(GridLogEntry, place, **log_filters["raised"])),
            Cell(counts.get("solved", 0), changelist_url(GridLogEntry, place, **log_filters["solved"])),
            _average_days(counts.get("days"), counts.get("solved", 0)),
            Cell(
                counts.get("overdue_entries", 0), changelist_url(GridLogEntry, place, **log_filters["overdue_entries"])
            ),
        ]

    # A town's numbers link to the town's lists; below town level all rows lie in `organization`.
    below_town = organization is not None and len(organization.path) > TOWN_DEPTH
    town_rows = [
        [places[path].name, *cells(counts, organization if below_town else places[path])]
        for path, counts in sorted(by_town.items(), key=lambda item: item[0].split("."))
        if path in places
    ]
    keys = {key for counts in by_town.values() for key in counts}
    totals = {key: sum(counts.get(key) or 0 for counts in by_town.values()) for key in keys}
    total_cells = cells(totals, organization)

    worker_rows = [
        [
            worker.name,
            worker.organization.name,
            Cell(worker.roles_held, changelist_url(GridRole, organization, social_worker=worker.pk, held=window)),
            Cell(
                worker.raised_total,
                changelist_url(GridLogEntry, organization, taken_by_worker=worker.pk, **log_filters["raised"]),
            ),
            Cell(
                worker.solved_total,
                changelist_url(GridLogEntry, organization, taken_by_worker=worker.pk, **log_filters["solved"]),
            ),
            Cell(
                worker.overdue_total,
                changelist_url(GridLogEntry, organization, taken_by_worker=worker.pk, overdue=window),
            ),
        ]
        for worker in workers.select_related("organization")
        .annotate(
            roles_held=count_subquery(
                scoped(GridRole.objects.running_on(on), user, organization).filter(social_worker=OuterRef("pk"))
            ),
            raised_total=count_subquery(entries.filter(raised, taken_by_worker=OuterRef("pk"))),
            solved_total=count_subquery(entries.filter(solved, taken_by_worker=OuterRef("pk"))),
            overdue_total=count_subquery(entries.filter(overdue_on(on), taken_by_worker=OuterRef("pk"))),
        )
        .order_by("organization__path", "name", "pk")
    ]
    return Section(
        figures=[
            Figure("网格", total_cells[0].value, total_cells[0].url),
            Figure("无党员参与的网格", total_cells[1].value, total_cells[1].url, shortfall=True),
            Figure("无全科社工的网格", total_cells[2].value, total_cells[2].url, shortfall=True),
            Figure(
                f"有超过{OVERDUE_AFTER_DAYS}天未解决问题的网格",
                total_cells[3].value,
                total_cells[3].url,
                shortfall=True,
            ),
            Figure("在岗全科社工", total_cells[4].value, total_cells[4].url),
            Figure("本期民情日志反映问题", total_cells[5].value, total_cells[5].url),
            Figure("本期解决问题", total_cells[6].value, total_cells[6].url),
            Figure("本期解决平均用时（天）", total_cells[7].value),
            Figure(f"超过{OVERDUE_AFTER_DAYS}天未解决的问题", total_cells[8].value, total_cells[8].url),
        ],
        tables=[
            Table(
                "网格覆盖与民情日志（按镇、街道）",
                [
                    "镇（街道）",
                    "网格",
                    "无党员参与",
                    "无全科社工",
                    "有超期问题",
                    "在岗全科社工",
                    "本期反映",
                    "本期解决",
                    "平均用时（天）",
                    "超期未解决",
                ],
                town_rows,
                total=["合计", *total_cells],
                chart=Chart("bar", columns=(2, 3, 4)),
            ),
            Table(
                "全科社工服务情况（按社工）",
                ["全科社工", "所属组织", "在任网格角色", "本期承办", "本期解决", "超期未解决"],
                worker_rows,
                dashboard=False,
                labels=2,
            ),
        ],
        note=f"网格、人员和问题按 {on:%Y-%m-%d} 的情况计：无党员参与指当天没有党员担任该网格的任何角色，"
        f"无全科社工同理；超期指问题反映已超过 {OVERDUE_AFTER_DAYS} 天仍未解决（第 {OVERDUE_AFTER_DAYS + 1} 天起）。"
        "本期反映、本期解决按反映日期、解决日期计入；平均用时为本期解决的问题从反映到解决的天数。"
        "按社工统计的是当天在岗的全科社工：本期承办为其承办且本期反映的问题，本期解决为其承办且本期解决的问题。",
    )


def _average_days(days, solved: int) -> Cell:
    """The mean days a solved problem took, written with one decimal; a dash when none was solved."""
    return Cell(f"{(days or 0) / solved:.1f}" if solved else "—")


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


# To-dos: what falls due in the organizations' work, each judged on the day it is counted, as the
# list filter it links to judges it (see members/reports.py).


@register_todo("projects_milestones_overdue", model=SecretaryProject, order=30)
def projects_milestones_overdue(today: date) -> Due:
    """Ongoing secretary projects with a milestone not done by its day: overdue since the first."""
    return Due(
        "有节点逾期未完成的书记项目",
        SecretaryProject.objects.with_overdue_milestones(today),
        {"milestones": "overdue"},
        earliest=SecretaryProject.objects.first_overdue_milestone(today),
    )


@register_todo("organizations_without_instructor", model=Organization, order=60)
def organizations_without_instructor(today: date) -> Due:
    return Due(
        "当前无指导员的党组织",
        Organization.objects.filter(is_active=True).without_instructor(today),
        {"is_active__exact": 1, "instructor": "none"},
    )


@register_todo("branches_above_member_limit", model=Organization, order=70)
def branches_above_member_limit(today: date) -> Due:
    return Due(
        f"党员超过{MAX_BRANCH_MEMBERS}名的支部",
        Organization.objects.all().above_member_limit(today),
        {"size": "above"},
    )


@register_todo("branches_few_full_members", model=Organization, order=71)
def branches_few_full_members(today: date) -> Due:
    return Due(
        f"正式党员不足{MIN_FULL_MEMBERS}名的支部",
        Organization.objects.all().below_full_members(today),
        {"size": "few_full"},
    )


@register_todo("committees_term_ending", model=Organization, order=80)
def committees_term_ending(today: date) -> Due:
    """Committees whose term ends within TERM_ENDING_DAYS or has ended: due by the first end."""
    return Due(
        f"{TERM_ENDING_DAYS}天内届满或已届满的党组织委员会",
        Organization.objects.all().term_ending(today),
        {"term": "ending"},
        earliest="term_ends_on",
    )
