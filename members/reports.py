"""What the members' files report: the 365 pledge and poverty-relief sections of the quarterly
report and the dashboard, and the members' and households' data-quality checks."""

from datetime import date

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from branches.models import Organization
from members.models import Fulfilment, Household, Member, Pairing, Pledge, Visit
from members.querysets import completion_by_organization
from members.venues import Rectification, RectificationState, Venue, VenueInspection, VenueStatus, inspection_failed
from xiangcheng.counting import count_each
from xiangcheng.people import ADULT_AGE, YearsBetween, id_number_disagrees
from xiangcheng.periods import Period, judged_value, quarter_of, quarter_period, reference_day, year_period
from xiangcheng.quality import quality_filter_checks, register_check
from xiangcheng.reports import (
    Cell,
    Chart,
    Figure,
    Section,
    Table,
    changelist_url,
    percent,
    register_section,
    scoped,
)
from xiangcheng.todos import Due, register_todo
from xiangcheng.validators import id_number_shaped

LINES = [("enterprise", "企业服务", "pledges"), ("talent", "人才服务", "pledges"), ("relief", "结对帮扶", "relief_due")]


def _completion(organization, user, start: date):
    """Completion for the quarter starting on `start`, computed once per request and user (the
    pledge and relief sections both read it)."""
    key = (organization and organization.pk, start)
    cache = user.__dict__.setdefault("_completion_by_organization", {})
    if key not in cache:
        cache[key] = completion_by_organization(user, start.year, quarter_of(start), timezone.localdate(), organization)
    return cache[key]


class OnDemand(dict):
    """A mapping whose values are made when first read, by `make(key)` (KeyError for a key it
    does not know): a page reads few of the many links a row of the completion could have."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        value = self[key] = self._make(key)
        return value


def completion_urls(row, result, organization) -> OnDemand:
    """The lists a row of `completion_by_organization`'s `result` counts, judged as it counts
    them (members where they belonged on the reference day, records up to then): members,
    pledges, relief_due, each line's fulfilled (enterprise, talent, relief), and per quarter of
    visit coverage `coverage_urls`. A branch's row is that organization alone; a town's (a total)
    its subtree within `organization`, the one chosen. Each made when first read."""
    on, year = result["on"], result["period"].start.year
    if row.get("is_total", False):
        town = row["town"]
        within = organization if organization is not None and organization.town_path == str(town.path) else town
        where = {"organization": within}
    else:
        where = {"organization": row["organization"], "subtree": False}

    def pledges(**filters):
        return changelist_url(Pledge, **where, on=on, year__exact=year, **filters)

    def make(key):
        if key == "members":
            return changelist_url(Member, **where, on=on, on_roll=judged_value("yes", on))
        if key == "pledges":
            return pledges()
        if key == "relief_due":
            return pledges(due="relief")
        if key in {line for line, _, _ in LINES}:
            return pledges(fulfilled=judged_value(key, on))
        if key == "coverage":
            return OnDemand(lambda quarter: coverage_urls(result, quarter, **where))
        raise KeyError(key)

    return OnDemand(make)


# The pairing list's filter of each kind of a quarter's coverage.
COVERAGE_FILTERS = {"due": "visit_due", "visited": "visited", "not_visited": "not_visited"}


def coverage_urls(result, quarter: int, organization=None, *, subtree: bool = True) -> OnDemand:
    """The pairing lists a quarter's visit coverage in `result` counts, {due, visited,
    not_visited} (`COVERAGE_FILTERS`): pairings whose member belonged to `organization` (its
    subtree unless `subtree` is false; the whole scope when None) on the quarter's reference day."""
    if quarter not in result["days"]:
        raise KeyError(quarter)
    key, on = f"{result['period'].start.year}-{quarter}", result["days"][quarter]

    def make(kind):
        return changelist_url(Pairing, organization, subtree=subtree, on=on, **{COVERAGE_FILTERS[kind]: key})

    return OnDemand(make)


@register_section("pledges", "先锋365承诺", order=20, models=[Member, Pledge])
def pledge_section(organization, user, start: date, end: date) -> Section:
    """Pledges of the year by line and by town and branch, counted up to the quarter's reference
    day (today while it runs). A fixed number of queries (see `completion_by_organization`)."""
    result = _completion(organization, user, start)
    year, on = start.year, result["on"]
    towns, branches = result["towns"], result["branches"]
    totals = {key: sum(row[key] for row in towns) for key in ("members", "pledges", "enterprise", "talent", "relief")}
    totals["relief_due"] = sum(row["relief_due"] for row in towns)

    # The completion counts members where they belonged on the reference day, and their records
    # up to then: its numbers link to the lists judged the same way (for a quarter already over,
    # on its last day).
    def pledges(**filters):
        return changelist_url(Pledge, organization, on=on, year__exact=year, **filters)

    pledges_url = pledges()
    # What falls short is judged on the same day as the rest, and so are its lists.
    unfulfilled_url = changelist_url(Pledge, organization, year__exact=year, unfulfilled=judged_value("any", on))
    without = scoped(Member.objects.all(), user, organization).without_pledge(year, on).count()
    unfulfilled = scoped(Pledge.objects.filter(year=year), user, organization).unfulfilled(until=on).count()
    line_rows = [
        [
            label,
            Cell(totals[of], pledges(due=line)),
            Cell(totals[line], pledges(fulfilled=judged_value(line, on))),
            Cell(totals[of] - totals[line], pledges(unfulfilled=judged_value(line, on))),
            percent(totals[line], totals[of]),
        ]
        for line, label, of in LINES
    ]

    def counts(row):
        urls = completion_urls(row, result, organization)
        return [
            Cell(row["members"], urls["members"]),
            Cell(row["pledges"], urls["pledges"]),
            Cell(row["enterprise"], urls["enterprise"]),
            Cell(row["talent"], urls["talent"]),
            Cell(row["relief_due"], urls["relief_due"]),
            Cell(row["relief"], urls["relief"]),
        ]

    return Section(
        figures=[
            Figure(
                "在册党员",
                totals["members"],
                changelist_url(Member, organization, on=on, on_roll=judged_value("yes", on)),
            ),
            Figure(f"{year}年已作承诺", totals["pledges"], pledges_url),
            Figure("企业服务完成率", percent(totals["enterprise"], totals["pledges"]), pledges_url),
            Figure("人才服务完成率", percent(totals["talent"], totals["pledges"]), pledges_url),
            # Of the pledges that promise households: those it is counted over.
            Figure("结对帮扶完成率", percent(totals["relief"], totals["relief_due"]), pledges(due="relief")),
            Figure(
                f"未作{year}年365承诺的党员",
                without,
                changelist_url(Member, organization, without_pledge=judged_value(str(year), on)),
                shortfall=True,
            ),
            Figure(f"{year}年承诺尚未全部兑现", unfulfilled, unfulfilled_url, shortfall=True),
        ],
        tables=[
            Table(
                "承诺完成情况（按方面）",
                ["方面", "应完成承诺", "已完成", "未完成", "完成率"],
                line_rows,
                chart=Chart("bar", columns=(2, 3)),
            ),
            Table(
                "承诺完成情况（按镇、街道）",
                ["镇（街道）", "在册党员", "已承诺", "企业服务完成", "人才服务完成", "结对帮扶应完成", "结对帮扶完成"],
                [[row["town"].name, *counts(row)] for row in towns],
                chart=Chart("bar", columns=(2, 3, 4)),
            ),
            Table(
                "承诺完成情况（按党组织）",
                [
                    "党组织",
                    "书记",
                    "在册党员",
                    "已承诺",
                    "企业服务完成",
                    "人才服务完成",
                    "结对帮扶应完成",
                    "结对帮扶完成",
                ],
                [[row["organization"].name, row["secretary"] or "—", *counts(row)] for row in branches],
                dashboard=False,
                labels=2,
            ),
        ],
        note=f"党员按 {on:%Y-%m-%d} 所在党组织计，承诺兑现记录计至该日。"
        "结对帮扶只计有帮扶户数要求的承诺：当年结对并至少走访一次的家庭数达到承诺户数即为完成。",
    )


@register_section("relief", "结对帮扶", order=30, models=[Household, Pairing, Visit, Member])
def relief_section(organization, user, start: date, end: date) -> Section:
    """Households, pairings, this quarter's visit coverage and the quota shortfalls."""
    result = _completion(organization, user, start)
    year, quarter, on = start.year, quarter_of(start), result["on"]
    judged_year = judged_value(str(year), on)
    households = scoped(Household.objects.all(), user, organization)
    helped = households.helped_on(on).count()
    pairings = scoped(Pairing.objects.filter(year=year), user, organization).count()
    unpaired = households.unpaired(year, on).count()
    below = scoped(Member.objects.all(), user, organization).below_household_quota(year, on).count()
    visited, due = (sum(row["coverage"].get(quarter, (0, 0))[i] for row in result["towns"]) for i in (0, 1))
    # The visits still owed are the coverage's pairings due less those visited, counted and
    # listed by where their member belonged on the day, as the coverage is.
    unvisited = due - visited
    unvisited_url = coverage_urls(result, quarter, organization)["not_visited"]

    def coverage(label, visited, due, urls):
        return [label, Cell(due, urls["due"]), Cell(visited, urls["visited"]), percent(visited, due)]

    return Section(
        figures=[
            Figure(
                "帮扶中的困难家庭",
                helped,
                changelist_url(Household, organization, helped=judged_value("yes", on)),
            ),
            Figure(f"{year}年结对", pairings, changelist_url(Pairing, organization, year__exact=year)),
            Figure("本季度走访覆盖率", percent(visited, due), coverage_urls(result, quarter, organization)["due"]),
            Figure("本季度未走访的结对", unvisited, unvisited_url, shortfall=True),
            Figure(
                "本年未结对的家庭",
                unpaired,
                changelist_url(Household, organization, unpaired=judged_year),
                shortfall=True,
            ),
            Figure(
                "结对户数不足的领导干部和机关党员",
                below,
                changelist_url(Member, organization, below_quota=judged_year),
                shortfall=True,
            ),
        ],
        tables=[
            Table(
                "本季度走访覆盖（按镇、街道）",
                ["镇（街道）", "需走访的结对", "已走访", "覆盖率"],
                [
                    coverage(
                        row["town"].name,
                        *row["coverage"].get(quarter, (0, 0)),
                        completion_urls(row, result, organization)["coverage"][quarter],
                    )
                    for row in result["towns"]
                ],
                total=coverage("合计", visited, due, coverage_urls(result, quarter, organization)),
                chart=Chart("bar", columns=(1, 2)),
            ),
        ],
        note="需走访：当年结对、且在统计日仍在帮扶中的家庭；季度内脱困的家庭不再要求走访。"
        "领导干部每年至少结对 2 户、机关党员至少 1 户，按统计日的身份计。",
    )


@register_section("venues", "党群服务阵地", order=35, models=[Venue, VenueInspection, Rectification])
def venue_section(organization, user, start: date, end: date) -> Section:
    """The venues by status and town on the quarter's reference day (today while it runs), the
    inspections of the quarter, and what is to be done: venues never inspected or overdue for
    inspection, rectifications overdue. Three queries whatever the data size."""
    today = timezone.localdate()
    on = reference_day(Period(start, end, ""), today)
    towns = scoped(Venue.objects.all(), user, organization).counts_by_town(on)
    names = {str(town.path): town for town in Organization.objects.filter(path__in=[row["town"] for row in towns])}
    inspections = scoped(VenueInspection.objects.filter(inspected_on__range=(start, end)), user, organization)
    rectifications = scoped(Rectification.objects.all(), user, organization)
    inspected, failed, rectifying, overdue = count_each(
        [
            inspections,
            inspections.filter(inspection_failed()),
            rectifications.in_state(RectificationState.OPEN, on),
            rectifications.in_state(RectificationState.OVERDUE, on),
        ]
    )

    def venues_url(where, status=None, overdue=False, **scope):
        filters = {"status": judged_value(status, on)} if status else {}
        if overdue:
            filters["overdue"] = judged_value("yes", on)
        return changelist_url(Venue, where, **scope, **filters)

    def counts(where, row, **scope):
        return [
            Cell(row["rows"], venues_url(where, **scope)),
            *(Cell(row[status], venues_url(where, status, **scope)) for status in VenueStatus.values),
            Cell(row["overdue"], venues_url(where, overdue=True, **scope)),
            percent(row[VenueStatus.MET], row["rows"]),
        ]

    town_rows = []
    for row in sorted(towns, key=lambda row: row["town"]):
        town = names[row["town"]]
        if town.type not in Organization.TOWN_TYPES:
            # Venues of the district committee itself: its own, not its subtree's.
            town_rows.append([town.name, *counts(town, row, subtree=False)])
            continue
        # Within the chosen organization when it lies inside this town.
        within = organization if organization is not None and organization.town_path == row["town"] else town
        town_rows.append([town.name, *counts(within, row)])
    total = {key: sum(row[key] for row in towns) for key in ["rows", *VenueStatus.values, "overdue"]}
    met, never, late = total[VenueStatus.MET], total[VenueStatus.NEVER], total["overdue"]

    def rectifications_url(state):
        return changelist_url(Rectification, organization, state=judged_value(state, on))

    inspections_url = changelist_url(VenueInspection, organization, inspected_on__gte=start, inspected_on__lte=end)
    return Section(
        figures=[
            Figure("党群服务阵地", total["rows"], venues_url(organization)),
            Figure("阵地达标率", percent(met, total["rows"]), venues_url(organization, VenueStatus.MET)),
            Figure("达标阵地", met, venues_url(organization, VenueStatus.MET)),
            Figure("本期阵地检查", inspected, inspections_url),
            Figure(
                "本期检查未达标",
                failed,
                changelist_url(
                    VenueInspection,
                    organization,
                    inspected_on__gte=start,
                    inspected_on__lte=end,
                    result=VenueStatus.NOT_MET,
                ),
            ),
            Figure("从未检查的阵地", never, venues_url(organization, VenueStatus.NEVER), shortfall=True),
            Figure("超过一年未检查的阵地", late, venues_url(organization, overdue=True), shortfall=True),
            Figure("整改中的问题", rectifying, rectifications_url(RectificationState.OPEN)),
            Figure("逾期未整改的问题", overdue, rectifications_url(RectificationState.OVERDUE), shortfall=True),
        ],
        tables=[
            Table(
                "阵地达标情况（按镇、街道）",
                ["镇（街道）", "阵地", *VenueStatus.labels, "超过一年未检查", "达标率"],
                town_rows,
                total=["合计", *counts(organization, total)],
                chart=Chart("bar", columns=(2, 3, 4)),
            ),
        ],
        note=f"阵地状态按 {on:%Y-%m-%d} 及以前最近一次检查计：各项均达标为达标，有一项不达标即未达标，"
        "从未检查的为未检查；达标率 = 达标阵地 / 全部阵地。最近一次检查距该日超过一年（365 天）的为超过一年未检查。"
        "检查中不达标的项目即整改事项，过了整改期限仍未整改完成的为逾期未整改。",
    )


# Data-quality checks: what would make a report wrong.


@register_check("members_malformed_id", "身份证号格式不正确的党员", model=Member, filters={"quality": "malformed_id"})
def members_with_malformed_id(user):
    return Member.objects.exclude(id_number_shaped())


@register_check(
    "members_inactive_organization",
    "在册但所在党组织已撤销的党员",
    model=Member,
    filters={"quality": "inactive_organization"},
)
def members_in_inactive_organizations(user):
    return Member.objects.filter(status=Member.Status.ON_ROLL, organization__is_active=False)


@register_check(
    "members_listed_twice",
    "姓名和出生日期相同的党员（疑似重复登记）",
    model=Member,
    filters={"quality": "listed_twice"},
)
def members_listed_twice(user):
    """Members who share a name and birth date with another member: likely one person entered
    twice under two ID numbers."""
    twins = Member.objects.filter(name=OuterRef("name"), birth_date=OuterRef("birth_date")).exclude(pk=OuterRef("pk"))
    return Member.objects.filter(Exists(twins))


@register_check(
    "households_listed_twice",
    "户主和村（社区）相同的困难家庭（疑似重复登记）",
    model=Household,
    filters={"quality": "listed_twice"},
)
def households_listed_twice(user):
    twins = Household.objects.filter(head=OuterRef("head"), village=OuterRef("village")).exclude(pk=OuterRef("pk"))
    return Household.objects.filter(Exists(twins))


def unpaired_this_year():
    """The household list's 本年未结对 filter, for the current year."""
    return {"unpaired": timezone.localdate().year}


@register_check("households_unpaired", "本年未结对的帮扶中困难家庭", model=Household, filters=unpaired_this_year)
def households_unpaired(user):
    today = timezone.localdate()
    return Household.objects.unpaired(today.year, today)


# Consistency checks: dates and numbers that cannot all be true. Each fault is named once: a
# member who joined before their birth is not also listed as joining under 18.


@register_check(
    "members_joined_under_18", "入党时未满 18 周岁的党员", model=Member, filters={"quality": "joined_under_18"}
)
def members_joined_under_18(user):
    """Members whose joining day comes before their 18th birthday (the rule `Member.clean` applies
    to one member), but not before their birth."""
    return Member.objects.alias(joining_age=YearsBetween("birth_date", "joined_on")).filter(
        joined_on__gte=F("birth_date"), joining_age__lt=ADULT_AGE
    )


@register_check(
    "members_joined_before_birth",
    "入党日期早于出生日期的党员（党龄长于年龄）",
    model=Member,
    filters={"quality": "joined_before_birth"},
)
def members_joined_before_birth(user):
    return Member.objects.filter(joined_on__lt=F("birth_date"))


@register_check(
    "members_id_number_disagrees",
    "出生日期或性别与身份证号不符的党员",
    model=Member,
    filters={"quality": "id_number_disagrees"},
)
def members_id_number_disagrees(user):
    return Member.objects.filter(id_number_disagrees())


@register_check(
    "pledges_fulfilled_before_pledging",
    "有履诺记录早于承诺日期的365承诺",
    model=Pledge,
    filters={"quality": "fulfilled_before_pledging"},
)
def pledges_fulfilled_before_pledging(user):
    """Pledges with a fulfilment dated before the pledge was made; both dates are corrected on the
    pledge's page, where its fulfilments are."""
    early = Fulfilment.objects.filter(pledge=OuterRef("pk"), done_on__lt=OuterRef("pledged_on"))
    return Pledge.objects.filter(Exists(early))


@register_check(
    "pairings_visited_before_start",
    "有走访记录早于结对年度的结对",
    model=Pairing,
    filters={"quality": "visited_before_start"},
)
def pairings_visited_before_start(user):
    """Pairings with a visit dated before their year began (a pairing holds for its year); both
    are corrected on the pairing's page, where its visits are."""
    early = Visit.objects.filter(pairing=OuterRef("pk"), visited_on__year__lt=OuterRef("year"))
    return Pairing.objects.filter(Exists(early))


# To-dos: what falls due for the members' work, each judged on the day it is counted, as the list
# filter it links to judges it (the dashboard may show a day's to-dos, dated, the next morning
# while it counts them again).

# Unfulfilled pledges become a to-do as the year ends: in its last quarter.
PLEDGE_REMINDER_QUARTER = 4


@register_todo("pairings_unvisited", model=Pairing, order=10)
def pairings_unvisited(today: date) -> Due:
    """Pairings due a visit this quarter that no one has visited yet, due by the quarter's last
    day: each a visit a member of the user's scope owes (scoped by the member, as the coverage)."""
    quarter = quarter_of(today)
    span = quarter_period(today.year, quarter)
    return Due(
        f"{span.label}尚未走访的结对",
        Pairing.objects.not_visited(span, today),
        {"not_visited": f"{today.year}-{quarter}"},
        deadline=span.end,
    )


@register_todo("members_without_pledge", model=Member, order=20)
def members_without_pledge(today: date) -> Due:
    year = year_period(today.year)
    return Due(
        f"未作{today.year}年365承诺的党员",
        Member.objects.without_pledge(today.year, today),
        {"without_pledge": today.year},
        deadline=year.end,
    )


@register_todo("pledges_unfulfilled", model=Pledge, order=21)
def pledges_unfulfilled(today: date) -> Due | None:
    """This year's pledges with a line not yet fulfilled, from the year's last quarter."""
    if quarter_of(today) < PLEDGE_REMINDER_QUARTER:
        return None
    return Due(
        f"{today.year}年尚未全部兑现的承诺",
        Pledge.objects.filter(year=today.year).unfulfilled(),
        {"year__exact": today.year, "unfulfilled": "any"},
        deadline=year_period(today.year).end,
    )


# The checks above that the member, household, pledge and pairing lists' 数据问题 filter offers,
# by its value.
MEMBER_CHECKS = quality_filter_checks(Member)
HOUSEHOLD_CHECKS = quality_filter_checks(Household)
PLEDGE_CHECKS = quality_filter_checks(Pledge)
PAIRING_CHECKS = quality_filter_checks(Pairing)
