"""The pledge, relief, action-branch and cadre sections of the report and dashboard: numbers,
scoping, links, the data-quality checks, and a dashboard whose cost does not grow with the data."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import ActionBranch
from members.models import Household, Pairing, Pledge, Visit
from tests import clock
from tests.conftest import shown
from tests.factories import ActionBranchFactory, CadreFactory, MemberFactory, ServiceActionFactory
from xiangcheng import snapshots
from xiangcheng.periods import quarter_of, quarter_period
from xiangcheng.reports import compute_sections

TODAY = clock.TODAY
QUARTER = quarter_period(TODAY.year, quarter_of(TODAY))
DASHBOARD = "/admin/"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def household(organization, head):
    return Household.objects.create(
        head=head,
        address="一组",
        organization=organization,
        village="村",
        hardship="illness",
        registered_on=date(TODAY.year - 1, 1, 1),
    )


@pytest.fixture
def work(tree):
    """In each town: a member with a pledge, a paired and visited household, an unvisited one,
    an agency member below quota, and an action branch that served 7 (A) or 50 (B) people."""
    for town, served in (("A", 7), ("B", 50)):
        member = MemberFactory(name=f"{town}党员", organization=tree[f"{town}0101"])
        MemberFactory(name=f"{town}机关党员", organization=tree[f"{town}0101"], agency_member_since=date(2020, 1, 1))
        Pledge.objects.create(member=member, year=TODAY.year, pledged_on=date(TODAY.year, 1, 5))
        visited = Pairing.objects.create(member=member, household=household(tree[f"{town}01"], "甲"), year=TODAY.year)
        Visit.objects.create(pairing=visited, visited_on=TODAY, action="走访")
        Pairing.objects.create(member=member, household=household(tree[f"{town}01"], "乙"), year=TODAY.year)
        branch = ActionBranchFactory(organization=tree[f"{town}01"], category=ActionBranch.Category.HARDSHIP)
        ServiceActionFactory(action_branch=branch, served_on=TODAY, people_served=served)
    return tree


def sections_of(user, organization=None):
    return {section.key: section for section in compute_sections(organization, user, QUARTER.start, QUARTER.end)}


def figures(section):
    return {figure.label: figure.value for figure in section.figures}


def test_secretary_numbers_hold_only_their_subtree(cast, work):
    mine, all_of_it = sections_of(cast["secretary_a"]), sections_of(cast["staff"])
    assert figures(mine["pledges"])["在册党员"] == 2 and figures(all_of_it["pledges"])["在册党员"] == 4
    assert figures(mine["relief"])["本季度未走访的结对"] == 1
    assert figures(all_of_it["relief"])["本季度未走访的结对"] == 2
    assert figures(mine["relief"])["结对户数不足的领导干部和机关党员"] == 1
    assert figures(mine["relief"])["本季度走访覆盖率"] == "50.0%"
    assert figures(mine["action_branches"])["本期服务人次"] == 7
    assert figures(all_of_it["action_branches"])["本期服务人次"] == 57
    assert "cadres" not in mine and "cadres" in all_of_it


def test_shortfall_numbers_link_to_the_lists_that_show_those_rows(cast, as_user, work):
    client = as_user(cast["secretary_a"])
    relief = sections_of(cast["secretary_a"])["relief"]
    unvisited = next(figure for figure in relief.figures if figure.label == "本季度未走访的结对")
    listed = client.get(unvisited.url).context["cl"].result_list
    assert [pairing.household.head for pairing in listed] == ["乙"]
    below = next(figure for figure in relief.figures if figure.label == "结对户数不足的领导干部和机关党员")
    assert [member.name for member in client.get(below.url).context["cl"].result_list] == ["A机关党员"]


def test_a_rate_links_to_the_pledges_it_is_counted_over(cast, as_user, work):
    # The relief rate is counted over the pledges that promise households; it linked to all.
    Pledge.objects.filter(member__name="A党员").update(households=0)
    member = MemberFactory(name="A结对党员", organization=work["A0101"])
    Pledge.objects.create(member=member, year=TODAY.year, pledged_on=date(TODAY.year, 1, 5), households=1)
    pledges = sections_of(cast["secretary_a"])["pledges"]
    rate = next(figure for figure in pledges.figures if figure.label == "结对帮扶完成率")
    listed = as_user(cast["secretary_a"]).get(rate.url).context["cl"].result_list
    assert [pledge.member.name for pledge in listed] == ["A结对党员"]


def test_dashboard_shows_the_domain_sections_and_their_shortfalls(cast, as_user, work):
    response = as_user(cast["staff"]).get(DASHBOARD)
    body = response.content.decode()
    for title in ("行动支部", "先锋365承诺", "结对帮扶", "1333青年干部", "未达标清单", "本季度未走访的结对"):
        assert title in body
    # The per-branch table stays in the report: the dashboard would be a thousand rows long.
    assert "承诺完成情况（按党组织）" not in body


def test_dashboard_costs_the_same_queries_with_more_domain_data(cast, as_user, work, django_assert_num_queries):
    client = as_user(cast["staff"])
    client.get(DASHBOARD)
    snapshots.mark_changed()  # both views compute their figures (xiangcheng/snapshots.py)
    with CaptureQueriesContext(connection) as first:
        client.get(DASHBOARD)
    for n in range(5):
        member = MemberFactory(organization=work["A0102"])
        Pledge.objects.create(member=member, year=TODAY.year, pledged_on=date(TODAY.year, 1, 5))
        pairing = Pairing.objects.create(member=member, household=household(work["A01"], f"户{n}"), year=TODAY.year)
        Visit.objects.create(pairing=pairing, visited_on=TODAY, action="走访")
        ServiceActionFactory(action_branch=ActionBranch.objects.first(), served_on=TODAY, people_served=3)
        CadreFactory(organization=work["A0101"])
    with django_assert_num_queries(len(first)):
        client.get(DASHBOARD)


def test_data_quality_finds_members_and_households_entered_twice(cast, as_user, tree):
    first = MemberFactory(name="重名", organization=tree["A0101"])
    MemberFactory(name="重名", organization=tree["A0102"], birth_date=first.birth_date)
    household(tree["A01"], "重户")
    household(tree["A01"], "重户")
    client = as_user(cast["secretary_a"])
    results = {result.key: result for result in client.get("/admin/reports/quality/").context["results"]}
    assert results["members_listed_twice"].count == 2
    assert results["households_listed_twice"].count == 2
    listed = client.get(results["members_listed_twice"].url).context["cl"].result_list
    assert {member.name for member in listed} == {"重名"}


def test_data_quality_finds_cadres_missing_last_years_evaluation(cast, as_user, tree):
    from cadres.models import AnnualEvaluation, RankChange

    evaluated, missing = CadreFactory(organization=tree["A0101"]), CadreFactory(organization=tree["A0101"])
    for cadre in (evaluated, missing):
        RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(2015, 7, 1))
    AnnualEvaluation.objects.create(cadre=evaluated, year=TODAY.year - 1, grade="competent")
    client = as_user(cast["staff"])
    results = {result.key: result for result in client.get("/admin/reports/quality/").context["results"]}
    assert results["cadres_missing_evaluation"].count == 1
    assert list(client.get(results["cadres_missing_evaluation"].url).context["cl"].result_list) == [missing]


@pytest.mark.django_db(transaction=True)
def test_data_quality_on_a_new_years_first_view_counts_the_year_its_lists_judge(cast, as_user, tree, settings):
    """Counts stored on an earlier day are shown as they stood only within their year: on New
    Year's Day the page counts the cadres missing the year just ended, as its link lists them."""
    from cadres.models import AnnualEvaluation, RankChange

    settings.FIGURES_BACKGROUND_MS = 0
    evaluated, missing = CadreFactory(organization=tree["A0101"]), CadreFactory(organization=tree["A0101"])
    for cadre in (evaluated, missing):
        RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(2015, 7, 1))
    AnnualEvaluation.objects.create(cadre=evaluated, year=TODAY.year - 1, grade="competent")
    new_year = timezone.make_aware(datetime.combine(date(TODAY.year + 1, 1, 1), time(0, 5)))
    with time_machine.travel(new_year - timedelta(minutes=10), tick=True):
        client = as_user(cast["staff"])
        results = {result.key: result for result in shown(client, "/admin/reports/quality/").context["results"]}
        assert results["cadres_missing_evaluation"].count == 1
    with time_machine.travel(new_year, tick=True):
        # Counted for the first time (nothing stored for the new year): the page says so and reloads.
        assert client.get("/admin/reports/quality/").status_code == 202
        page = shown(client, "/admin/reports/quality/")
        results = {result.key: result for result in page.context["results"]}
        assert results["cadres_missing_evaluation"].count == 2 and "新近的变更正在计入" not in page.content.decode()
        listed = client.get(results["cadres_missing_evaluation"].url).context["cl"].result_list
        assert set(listed) == {evaluated, missing}
    snapshots.wait_for_refreshes()


def test_a_past_quarter_counts_what_falls_short_on_its_own_last_day(cast, as_user, work):
    """Q3's 未作承诺 counted members who joined in Q4 (judged today), against its own 在册党员 of 30 September."""
    MemberFactory(name="A新党员", organization=work["A0101"], joined_on=date(TODAY.year, 10, 20))
    third = quarter_period(TODAY.year, 3)
    assert third.end < TODAY
    past = {s.key: s for s in compute_sections(None, cast["staff"], third.start, third.end)}["pledges"]
    now = sections_of(cast["staff"])["pledges"]
    label = f"未作{TODAY.year}年365承诺的党员"
    assert figures(past)[label] == figures(now)[label] - 1
    assert figures(past)["在册党员"] == figures(now)["在册党员"] - 1
    # Its list is judged on the same day, and says so.
    link = next(figure.url for figure in past.figures if figure.label == label)
    listed = as_user(cast["staff"]).get(link)
    assert listed.context["cl"].result_count == figures(past)[label]
    assert f"（截至 {third.end:%Y-%m-%d}）" in listed.content.decode()
