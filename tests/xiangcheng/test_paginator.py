"""Lists over large tables do not count the whole table on every page view (xiangcheng/paginator.py)."""

import pytest
from django.db import connection

from members.models import Member
from tests.factories import MemberFactory
from xiangcheng import paginator
from xiangcheng.maintenance import analyze


@pytest.fixture
def roster(tree, monkeypatch):
    for code in ("A0101", "A0101", "B0101"):
        MemberFactory(organization=tree[code])
    analyze(Member)
    # Three rows stand in for a million: above this, a whole-table count is PostgreSQL's estimate.
    monkeypatch.setattr(paginator, "EXACT_UP_TO", 2)


def count_queries(queries):
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]


def test_an_unfiltered_list_uses_the_estimate_and_says_so(roster, cast, client, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast["staff"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/members/member/")
    assert response.status_code == 200
    assert "约 3 党员" in response.text
    assert not any("members_member" in sql for sql in count_queries(queries.captured_queries))


@pytest.mark.parametrize("who, query, shown", [("staff", "?q=%E5%BC%A0", None), ("secretary_a", "", "2 党员")])
def test_a_filtered_or_scoped_list_counts_exactly(roster, cast, client, who, query, shown):
    client.force_login(cast[who])
    response = client.get(f"/admin/members/member/{query}")
    assert response.status_code == 200
    assert "约 " not in response.text.split('class="paginator"')[1].split("</p>")[0]
    if shown:
        assert shown in response.text


def test_a_small_table_is_counted_exactly(tree, cast, client):
    MemberFactory(organization=tree["A0101"])
    client.force_login(cast["staff"])
    response = client.get("/admin/members/member/")
    assert "1 党员" in response.text and "约 1" not in response.text


def test_a_search_counts_its_matches_ten_pages_far_and_says_when_there_are_more(tree, cast, client, monkeypatch):
    from django.contrib import admin
    from django.test.utils import CaptureQueriesContext

    for n in range(5):
        MemberFactory(name=f"张{n}", organization=tree["A0101"])
    MemberFactory(name="李四", organization=tree["A0101"])
    # Three matches counted stand in for a thousand, two rows a page for a hundred.
    monkeypatch.setattr(paginator, "SEARCH_COUNT_UP_TO", 3)
    monkeypatch.setattr(admin.site._registry[Member], "list_per_page", 2)
    client.force_login(cast["staff"])
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/admin/members/member/", {"q": "张"})
    assert "超过 3 条结果" in first.text and "超过 3 党员" in first.text
    [counted] = [sql for sql in count_queries(queries.captured_queries) if "members_member" in sql]
    assert "LIMIT 4" in counted
    # Its pages hold the rows counted; no selection across pages whose count is not known.
    assert rows(first) == 2 and 'class="question hidden"' not in first.text
    assert rows(client.get("/admin/members/member/", {"q": "张", "p": "2"})) == 1
    # A page past those counted (a link from when there were fewer) is the last counted one.
    past = client.get("/admin/members/member/", {"q": "张", "p": "3"})
    assert past.status_code == 200 and rows(past) == 1 and "超过 3 条结果" in past.text
    # Fewer matches than that are counted exactly, and may be selected across pages.
    monkeypatch.setattr(paginator, "SEARCH_COUNT_UP_TO", 5)
    all_of_them = client.get("/admin/members/member/", {"q": "张"})
    assert "5 条结果" in all_of_them.text and "超过" not in all_of_them.text
    assert 'class="question hidden"' in all_of_them.text
    # A list that searches nothing counts exactly whatever its address says.
    monkeypatch.setattr(paginator, "SEARCH_COUNT_UP_TO", 1)
    monkeypatch.setattr(admin.site._registry[Member], "search_fields", [])
    monkeypatch.setattr(admin.site._registry[Member], "person_search_fields", ())
    unsearched = client.get("/admin/members/member/", {"q": "张"})
    assert "6 党员" in unsearched.text and "超过" not in unsearched.text


def rows(response) -> int:
    return response.text.count('name="_selected_action"')


BY_KEY = '"members_member"."organization_id" = ANY((ARRAY(SELECT'


@pytest.mark.parametrize("query", ["", "?status__exact=on_roll", "?q=%E5%BC%A0"])
def test_a_list_narrowed_to_a_town_counts_it_by_key_and_shows_the_same_rows(tree, cast, client, query):
    """The count of a secretary's list, or of staff's narrowed to a town, reads the town's
    organizations once and finds its rows by the key that leads to them (a cost that follows
    the town); the page of rows keeps the path join for its ordering. A search's count is led by
    its matches instead: the town matched by key as well, its plan read every row of the town
    for a name (2 → 38 ms at scale 2). The total is the rows listed, searched or not."""
    from django.test.utils import CaptureQueriesContext

    searched = "q=" in query
    for code in ("A0101", "A0102", "A0101", "B0101"):
        MemberFactory(organization=tree[code], name=f"张{code}")
    client.force_login(cast["secretary_a"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/admin/members/member/{query}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert ("3 条结果" if searched else "3 党员") in response.text
    listed = {member.name for member in response.context["cl"].result_list}
    assert listed == {"张A0101", "张A0102"} and len(response.context["cl"].result_list) == 3
    [counted] = [sql for sql in count_queries(queries.captured_queries) if "members_member" in sql]
    assert (BY_KEY in counted) != searched
    # Staff's list has no scope to match; narrowed to a town, it has that town's.
    client.force_login(cast["staff"])
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/admin/members/member/{query}")
    assert not any("ANY((ARRAY(SELECT" in sql for sql in count_queries(queries.captured_queries))
    with CaptureQueriesContext(connection) as queries:
        town = client.get(f"/admin/members/member/{query or '?'}&org=A")
    assert town.context["cl"].result_count == 3 and len(town.context["cl"].result_list) == 3
    [counted] = [sql for sql in count_queries(queries.captured_queries) if "members_member" in sql]
    assert (BY_KEY in counted) != searched


def test_a_secretarys_total_beside_a_filtered_list_is_counted_by_key_too(tree, cast, client):
    """A list that shows its total beside the filtered count ("2 条结果 (共 3 条)") counts that
    total as it counts the list: the town matched by key."""
    from django.test.utils import CaptureQueriesContext

    from members.models import Household
    from tests.members.test_admin import household

    for code, head in (("A0101", "甲"), ("A0102", "乙"), ("A0101", "丙"), ("B0101", "丁")):
        household(tree[code], head=head)
    Household.objects.filter(head="丙").update(hardship="disability")
    client.force_login(cast["secretary_a"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/members/household/", {"hardship__exact": "disability"})
    cl = response.context["cl"]
    assert (cl.result_count, cl.full_result_count) == (1, 3)
    counts = [sql for sql in count_queries(queries.captured_queries) if "members_household" in sql]
    assert len(counts) == 2 and all(
        '"members_household"."organization_id" = ANY((ARRAY(SELECT' in sql for sql in counts
    )
