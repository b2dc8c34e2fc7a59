"""Service totals: actions and person-times by category, organization, month and quarter, in SQL."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.models import ServiceAction
from branches.services import service_totals
from tests.factories import ActionBranchFactory, ServiceActionFactory

TOTALS = "/admin/branches/serviceaction/totals/"


@pytest.fixture
def log(tree):
    """Actions either side of the quarter boundaries of 2025, in two towns and two categories."""
    a_help = ActionBranchFactory(name="甲镇帮扶行动支部", organization=tree["A0101"], category="hardship")
    a_grid = ActionBranchFactory(name="甲镇治理行动支部", organization=tree["A01"], category="governance")
    b_help = ActionBranchFactory(name="乙镇帮扶行动支部", organization=tree["B0102"], category="hardship")
    for branch, served_on, people in [
        (a_help, date(2024, 12, 31), 1000),  # before the window
        (a_help, date(2025, 1, 1), 3),
        (a_help, date(2025, 3, 31), 5),
        (a_grid, date(2025, 4, 1), 7),
        (a_grid, date(2025, 6, 30), 11),
        (b_help, date(2025, 7, 1), 13),
        (b_help, date(2025, 12, 31), 17),
        (b_help, date(2026, 1, 1), 2000),  # after the window
    ]:
        ServiceActionFactory(action_branch=branch, served_on=served_on, people_served=people)
    return tree


def totals(by, start=date(2025, 1, 1), end=date(2025, 12, 31), actions=None):
    return service_totals(ServiceAction.objects.all() if actions is None else actions, start, end, by=by)


def test_totals_by_quarter_split_exactly_at_the_boundaries(log):
    rows = totals("quarter")
    assert [(row["quarter_label"], row["actions"], row["people_served"]) for row in rows] == [
        ("2025年第一季度", 2, 8),
        ("2025年第二季度", 2, 18),
        ("2025年第三季度", 1, 13),
        ("2025年第四季度", 1, 17),
    ]
    assert rows[1]["quarter"] == date(2025, 4, 1)


def test_totals_by_month(log):
    rows = totals("month")
    assert [(row["month_label"], row["actions"], row["people_served"]) for row in rows] == [
        ("2025年1月", 1, 3),
        ("2025年3月", 1, 5),
        ("2025年4月", 1, 7),
        ("2025年6月", 1, 11),
        ("2025年7月", 1, 13),
        ("2025年12月", 1, 17),
    ]


def test_totals_by_category_and_by_category_and_quarter(log):
    assert [(row["category_label"], row["actions"], row["people_served"]) for row in totals("category")] == [
        ("社会治理类", 2, 18),
        ("困难帮扶类", 4, 38),
    ]
    crossed = totals(("category", "quarter"))
    assert [(row["category"], row["quarter"].month, row["people_served"]) for row in crossed] == [
        ("governance", 4, 18),
        ("hardship", 1, 8),
        ("hardship", 7, 13),
        ("hardship", 10, 17),
    ]


def test_totals_by_town_and_by_host_organization(log):
    assert [(row["town_name"], row["actions"], row["people_served"]) for row in totals("town")] == [
        ("甲街道党工委", 4, 26),
        ("乙镇党委", 2, 30),
    ]
    by_host = {row["organization_code"]: (row["actions"], row["people_served"]) for row in totals("organization")}
    assert by_host == {"A0101": (2, 8), "A01": (2, 18), "B0102": (2, 30)}


def test_window_includes_both_ends_and_no_dimension_gives_one_row(log):
    assert totals((), start=date(2025, 3, 31), end=date(2025, 4, 1)) == [{"actions": 2, "people_served": 12}]
    assert totals((), start=date(2030, 1, 1), end=date(2030, 12, 31)) == [{"actions": 0, "people_served": 0}]
    assert totals("category", start=date(2030, 1, 1), end=date(2030, 12, 31)) == []


def test_totals_follow_the_readers_scope(log, cast):
    mine = ServiceAction.objects.visible_to(cast["secretary_a"])
    assert [(row["town_name"], row["people_served"]) for row in totals("town", actions=mine)] == [("甲街道党工委", 26)]
    assert totals("town", actions=ServiceAction.objects.visible_to(cast["outsider"])) == []


def test_unknown_dimension_is_refused(log):
    with pytest.raises(ValueError, match="weekday"):
        totals("weekday")


@pytest.mark.parametrize("by", ["category", "town", "organization", "month", ("category", "quarter")])
def test_totals_cost_one_query_at_any_size(log, by):
    counts = []
    for extra in (1, 30):
        branch = ActionBranchFactory(organization=log["B01"])
        for n in range(extra):
            ServiceActionFactory(action_branch=branch, served_on=date(2025, 1 + n % 12, 1 + n % 28))
        with CaptureQueriesContext(connection) as queries:
            totals(by)
        counts.append(len(queries))
    assert counts == [1, 1]


def test_totals_page_shows_the_secretarys_numbers(log, cast, as_user):
    response = as_user(cast["secretary_a"]).get(TOTALS, {"start": "2025-01-01", "end": "2025-12-31", "by": "category"})
    assert response.status_code == 200
    assert [(row["label"], row["actions"], row["people_served"]) for row in response.context["rows"]] == [
        ("社会治理类", 2, 18),
        ("困难帮扶类", 2, 8),
    ]
    body = response.content.decode()
    assert "合计" in body and ">26</a></th>" in body  # the total links to its rows
    assert "乙镇" not in body


def test_totals_page_refuses_an_inverted_window_in_chinese(log, cast, as_user):
    response = as_user(cast["staff"]).get(TOTALS, {"start": "2025-12-31", "end": "2025-01-01", "by": "month"})
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert response.context["rows"] == []


@pytest.mark.parametrize(("start", "end"), [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-03-31")])
def test_totals_page_refuses_a_window_past_the_records_in_chinese(log, cast, as_user, start, end):
    # 9999-12-31 answered 500; 0001 to 9999 would have drawn 32,000 quarter columns.
    response = as_user(cast["staff"]).get(TOTALS, {"start": start, "end": end, "by": "category_quarter"})
    assert response.status_code == 200
    assert "日期须在 2000-01-01 至" in response.content.decode()
    assert response.context["rows"] == [] and response.context["cross"] is None


def test_totals_page_defaults_to_this_year_by_category_and_is_closed_to_outsiders(log, cast, as_user):
    assert as_user(cast["staff"]).get(TOTALS).status_code == 200
    assert as_user(cast["outsider"]).get(TOTALS).status_code == 403
    assert "服务统计" in as_user(cast["secretary_a"]).get("/admin/branches/serviceaction/").content.decode()


def test_the_totals_page_is_a_category_by_quarter_table_whose_numbers_open_their_rows(log, cast, as_user):
    """Each cell opens the service log filtered to its category and quarter; the list counts the
    same actions and shows the same person-times (合计 N 次服务，服务 M 人次)."""
    import re

    client = as_user(cast["staff"])
    page = client.get(TOTALS, {"start": "2025-01-01", "end": "2025-12-31", "by": "category_quarter"}).content.decode()
    cells = re.findall(r'<a href="([^"]+)">(\d+) 次 / (\d+) 人次</a>', page)
    assert ("2", "8") in {(actions, people) for _, actions, people in cells}  # hardship, Q1
    assert len(cells) >= 4 * 2 + 2
    for url, actions, people in cells:
        listed = client.get(url.replace("&amp;", "&"))
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == int(actions), url
        assert f"合计 {actions} 次服务，服务 {people} 人次。" in listed.content.decode(), url


def test_the_totals_page_opens_on_this_year_by_category_and_quarter(log, cast, as_user):
    page = as_user(cast["staff"]).get(TOTALS).content.decode()
    assert "类别 × 季度" in page and '<th scope="col">类别</th>' in page


def test_a_searched_log_past_its_counted_pages_still_totals_every_match(log, cast, as_user, monkeypatch):
    """A search counts its pages ten far (xiangcheng/paginator.py); the sum under the list counts
    all its matches, actions and person-times alike."""
    from django.db.models import Q, Sum

    from xiangcheng import paginator

    monkeypatch.setattr(paginator, "SEARCH_COUNT_UP_TO", 2)
    matched = ServiceAction.objects.filter(
        Q(title__icontains="帮扶") | Q(place__icontains="帮扶") | Q(action_branch__name__icontains="帮扶")
    )
    actions, people = matched.count(), matched.aggregate(people=Sum("people_served"))["people"]
    assert actions > 2
    page = as_user(cast["staff"]).get("/admin/branches/serviceaction/", {"q": "帮扶"}).content.decode()
    assert "超过 2 条结果" in page
    assert f"合计 {actions} 次服务，服务 {people} 人次。" in page
