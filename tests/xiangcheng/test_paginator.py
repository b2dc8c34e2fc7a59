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
