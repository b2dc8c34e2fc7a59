"""The organizations list as a tree: the top of each user's scope, an organization's children on
demand (?parent=<code>, the fragment the script fetches) or opened on the page (?expand=<code>,
without script), the flat list for a search, a filter or ?view=list; scoped, in a fixed number
of queries, and no parameter answers 500."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from branches.models import AccountScope, Organization
from members.models import Member
from tests.factories import MemberFactory, OrganizationFactory, UserFactory
from xiangcheng.roles import SECRETARY

ORGS = "/admin/branches/organization/"
TREE = "admin/branches/organization/tree.html"
NAME = re.compile(r'<a class="org-name" href="[^"]*">([^<]*)</a>')
TOGGLE = re.compile(
    r'<a class="org-tree-toggle"[^>]*aria-expanded="(true|false)" aria-label="(?:展开|收起)([^"]*)的下级组织"'
)


def names(response) -> list[str]:
    """The organizations a tree page or fragment shows, in order."""
    return NAME.findall(response.content.decode())


def toggles(response) -> dict[str, str]:
    """{organization: "true" or "false"}: whether each toggle shows the organization opened."""
    return {name: expanded for expanded, name in TOGGLE.findall(response.content.decode())}


def test_staff_sees_the_district_and_its_towns_closed(cast, as_user, tree):
    response = as_user(cast["staff"]).get(ORGS)
    assert response.status_code == 200
    assert TREE in [template.name for template in response.templates]
    assert names(response) == ["相城区委", "甲街道党工委", "乙镇党委"]
    assert toggles(response) == {"相城区委": "true", "甲街道党工委": "false", "乙镇党委": "false"}
    body = response.content.decode()
    assert "甲街道党工委第一党总支" not in body  # closed: the branches are not sent
    assert "下级 2 个" in body and "下级 1 个" in body  # the district's towns, a town's general branch
    assert f'data-children="{ORGS}?parent=A"' in body and f'href="{ORGS}?expand=A"' in body
    assert f'href="{ORGS}{tree["A"].pk}/change/">甲街道党工委</a>' in body
    assert "树形" in body and f'href="{ORGS}?view=list">列表</a>' in body


def test_a_node_counts_its_subtree_members_on_the_roll_and_links_to_exactly_them(cast, as_user, tree):
    for organization in (tree["A0101"], tree["A0101"], tree["A01"]):
        MemberFactory(organization=organization)
    MemberFactory(organization=tree["B0102"])
    # Not on the roll: counted neither here nor on the organization chart.
    MemberFactory(organization=tree["A0101"], status=Member.Status.DECEASED, status_on=date(2026, 1, 5))
    client = as_user(cast["staff"])
    body = client.get(ORGS).content.decode()
    link = '<a class="org-members" href="/admin/members/member/?status__exact=on_roll&amp;org={}">在册党员 {} 名</a>'
    assert link.format("A", 3) in body
    assert link.format("B", 1) in body
    assert link.format("XC", 4) in body
    assert client.get("/admin/members/member/?org=A&status__exact=on_roll").context["cl"].result_count == 3


def test_expanding_a_town_shows_its_general_branch_and_nothing_of_the_other_town(cast, as_user, tree):
    fragment = as_user(cast["staff"]).get(ORGS, {"parent": "A"})
    assert fragment.status_code == 200
    assert TREE not in [template.name for template in fragment.templates]  # a fragment, not a page
    assert names(fragment) == ["甲街道党工委第一党总支"]
    assert toggles(fragment) == {"甲街道党工委第一党总支": "false"}
    assert names(as_user(cast["staff"]).get(ORGS, {"parent": "A01"})) == [
        "甲街道党工委第1党支部",
        "甲街道党工委第2党支部",
    ]
    assert names(as_user(cast["staff"]).get(ORGS, {"parent": "A0101"})) == []  # a branch has no children


def test_expand_opens_the_tree_down_to_an_organization_without_script(cast, as_user, tree):
    response = as_user(cast["staff"]).get(ORGS, {"expand": "A01"})
    assert names(response) == [
        "相城区委",
        "甲街道党工委",
        "甲街道党工委第一党总支",
        "甲街道党工委第1党支部",
        "甲街道党工委第2党支部",
        "乙镇党委",
    ]
    assert toggles(response)["甲街道党工委第一党总支"] == "true"
    assert "乙镇党委第一党总支" not in response.content.decode()
    # An opened organization's toggle closes it: a link to its parent opened.
    assert f'href="{ORGS}?expand=A" data-children="{ORGS}?parent=A01"' in response.content.decode()


def test_secretary_sees_their_town_as_the_top_and_nothing_above_or_beside_it(cast, as_user, tree):
    response = as_user(cast["secretary_a"]).get(ORGS)
    assert names(response) == ["甲街道党工委", "甲街道党工委第一党总支"]
    body = response.content.decode()
    assert "相城区委" not in body
    assert "乙镇党委" not in body
    assert "?org=XC" not in body


def test_secretary_cannot_expand_another_town(cast, as_user, tree):
    client = as_user(cast["secretary_a"])
    for code in ("B", "B01", "XC"):
        fragment = client.get(ORGS, {"parent": code})
        assert fragment.status_code == 404, code
        assert "乙镇党委第" not in fragment.content.decode()
    page = client.get(ORGS, {"expand": "B01"})
    assert page.status_code == 200
    assert names(page) == ["甲街道党工委", "甲街道党工委第一党总支"]
    assert "乙镇" not in page.content.decode()


def test_a_secretary_of_two_organizations_sees_both_as_tops(cast, as_user, tree):
    secretary = cast["secretary_a"]
    AccountScope.objects.create(user=secretary, organization=tree["B01"])
    response = as_user(secretary).get(ORGS)
    assert names(response) == ["甲街道党工委", "乙镇党委第一党总支"]
    assert toggles(response) == {"甲街道党工委": "false", "乙镇党委第一党总支": "false"}
    assert "乙镇党委<" not in response.content.decode()


def test_an_account_without_organizations_sees_an_empty_tree(tree, as_user):
    unassigned = UserFactory(username="secretary_unassigned")
    unassigned.groups.add(Group.objects.get(name=SECRETARY))
    client = as_user(unassigned)
    response = client.get(ORGS)
    assert response.status_code == 200
    assert names(response) == []
    assert "您的权限范围内没有党组织。" in response.content.decode()
    assert client.get(ORGS, {"parent": "A"}).status_code == 404


def test_a_user_without_a_role_is_refused_the_tree_and_its_fragments(cast, as_user, tree):
    client = as_user(cast["outsider"])
    for query in ({}, {"expand": "A"}, {"parent": "A"}):
        response = client.get(ORGS, query)
        assert response.status_code == 403, query
        assert "甲街道党工委" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"view": "list"},
        {"q": "A0102"},
        {"town": "B"},
        {"type__exact": "branch"},
        {"o": "1"},
        {"all": ""},
        {"view": "list", "expand": "A"},
    ],
)
def test_a_search_a_filter_or_the_switch_falls_back_to_the_list(cast, as_user, tree, query):
    response = as_user(cast["staff"]).get(ORGS, query)
    assert response.status_code == 200
    assert TREE not in [template.name for template in response.templates]
    assert "cl" in response.context
    body = response.content.decode()
    assert f'<a href="{ORGS}?view=list" aria-current="page">列表</a>' in body
    assert f'<a href="{ORGS}">树形</a>' in body


def test_the_list_keeps_showing_every_organization_and_its_ancestry(cast, as_user, tree):
    response = as_user(cast["staff"]).get(ORGS, {"view": "list"})
    assert {org.code for org in response.context["cl"].result_list} == {org.code for org in tree.values()}
    assert "相城区委 › 甲街道党工委 › 甲街道党工委第一党总支" in response.content.decode()
    assert "view=list" in response.context["cl"].get_query_string({"o": "1"})  # sorting stays in the list


def test_the_tree_search_box_posts_and_answers_with_the_list(cast, as_user, tree):
    client = as_user(cast["staff"])
    assert 'id="changelist-search" method="post"' in client.get(ORGS).content.decode()
    found = client.post(ORGS, {"_search": "1", "q": "A0102"}, follow=True)
    assert [org.code for org in found.context["cl"].result_list] == ["A0102"]
    assert client.post(ORGS, {"_search": "1", "q": ""}, follow=True).templates[0].name == TREE


BAD = ["", "nope", "a", "XC.A", "A\x00", "\x00", "A" * 21, "９", "A" * 100_000, "A'; DROP TABLE x;--", "%", "*"]


@pytest.mark.parametrize("value", BAD, ids=range(len(BAD)))
def test_a_bad_parameter_answers_an_empty_tree_or_404_never_500(cast, as_user, tree, value):
    client = as_user(cast["staff"])
    fragment = client.get(ORGS, {"parent": value})
    assert fragment.status_code == 404
    page = client.get(ORGS, {"expand": value})
    assert page.status_code == 200
    assert names(page) == ["相城区委", "甲街道党工委", "乙镇党委"]
    assert client.get(ORGS, {"view": value}).status_code == 200


def test_repeated_parameters_use_the_last(cast, as_user, tree):
    client = as_user(cast["secretary_a"])
    assert client.get(f"{ORGS}?parent=A&parent=B").status_code == 404
    assert names(client.get(f"{ORGS}?parent=B&parent=A")) == ["甲街道党工委第一党总支"]


def test_the_tree_writes_no_inline_style_or_script(cast, as_user, tree):
    for query in ({}, {"expand": "A01"}, {"parent": "A"}):
        body = as_user(cast["staff"]).get(ORGS, query).content.decode()
        assert not re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", body), query
    assert "xiangcheng/organization_tree.js" in as_user(cast["staff"]).get(ORGS).content.decode()


# (role, query): queries per request (session, user, second step, permissions, the user's scope,
# then the tree's own: topmost organizations and the children opened, ?expand's organization; a
# whole page also the header's unread messages).
QUERIES = {
    ("staff", ""): 11,
    ("staff", "expand=A01"): 12,
    ("staff", "parent=A01"): 10,
    ("secretary_a", ""): 11,
    ("secretary_a", "expand=A01"): 12,
    ("secretary_a", "parent=A01"): 10,
}


def _grow(tree) -> None:
    """More of everything the tree counts: towns, branches under A01, members."""
    for n in range(3):
        town = OrganizationFactory(
            parent=tree["district"], type=Organization.Type.TOWN, name=f"新镇{n}党委", code=f"N{n}"
        )
        OrganizationFactory(parent=town, name=f"新镇{n}第一党支部", code=f"N{n}01")
    for n in range(5):
        branch = OrganizationFactory(parent=tree["A01"], name=f"甲街道新党支部{n}", code=f"A01N{n}")
        MemberFactory(organization=branch)
    OrganizationFactory(parent=tree["A"], type=Organization.Type.GENERAL_BRANCH, name="甲街道第二党总支", code="A02")


@pytest.mark.parametrize(("role", "query"), list(QUERIES))
def test_queries_are_fixed_whatever_the_size_of_the_tree(cast, tree, django_assert_num_queries, role, query):
    client = Client()
    client.force_login(cast[role])
    url = f"{ORGS}?{query}" if query else ORGS
    client.get(url)  # warms the process's caches (content types, the session)
    with django_assert_num_queries(QUERIES[(role, query)]):
        small = client.get(url)
    _grow(tree)
    with django_assert_num_queries(QUERIES[(role, query)]):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert len(names(large)) > len(names(small))
