"""The organization chart (组织图): the tree of the organizations a user sees, each node with its
subtree's members on the roll, action branches and open to-dos, each number the count of the list
its link opens; scoped, in a fixed number of queries stored until the data changes, and no
parameter answers 500."""

import json
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from branches.models import AccountScope, Organization
from branches.orgchart import SCOPE_ROOT
from members.models import Household, Member, Pairing, Pledge, Visit
from tests import clock
from tests.conftest import shown
from tests.factories import ActionBranchFactory, MemberFactory, OrganizationFactory, UserFactory
from xiangcheng import snapshots
from xiangcheng.roles import SECRETARY

CHART = "/admin/branches/organization/chart/"
DATA = re.compile(r'<script id="organization-chart-data" type="application/json">(.*?)</script>', re.S)


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def chart_of(response) -> dict:
    """The chart's data as the page hands it to the script."""
    assert response.status_code == 200
    return json.loads(DATA.search(response.content.decode()).group(1))


def nodes(tree: dict) -> dict[str, dict]:
    """{code: node} of every node of the chart's tree."""
    found = {tree["code"]: tree}
    for child in tree.get("children", []):
        found.update(nodes(child))
    return found


def figures_of(chart: dict, node: dict) -> dict[str, int]:
    return {number["key"]: node["counts"][i] for i, number in enumerate(chart["numbers"])}


def link(chart: dict, key: str, node: dict) -> str:
    number = next(number for number in chart["numbers"] if number["key"] == key)
    return number["url"].replace(chart["code_slot"], node["code"]) if node["code"] else number["scope_url"]


def household(organization, member, *, visited_on=None) -> Household:
    """A household of `organization` paired with `member` this year, visited on `visited_on`."""
    home = Household.objects.create(
        head="户主",
        address="1号",
        organization=organization,
        village="村",
        hardship="illness",
        registered_on=date(2025, 1, 1),
    )
    pairing = Pairing.objects.create(member=member, household=home, year=clock.TODAY.year)
    if visited_on:
        Visit.objects.create(pairing=pairing, visited_on=visited_on, action="走访")
    return home


@pytest.fixture
def work(tree):
    """Members, action branches, households and pledges spread over both towns."""
    year = clock.TODAY.year
    people = {
        "A0101": [MemberFactory(organization=tree["A0101"]) for _ in range(3)],
        "A01": [MemberFactory(organization=tree["A01"])],
        "B0102": [MemberFactory(organization=tree["B0102"]) for _ in range(2)],
    }
    # Transferred out: on no roll, so neither in the chart's members nor in their list.
    MemberFactory(organization=tree["A0102"], status=Member.Status.TRANSFERRED_OUT, status_on=date(2026, 2, 1))
    ActionBranchFactory(organization=tree["A0101"])
    ActionBranchFactory(organization=tree["A01"])
    ActionBranchFactory(organization=tree["B"])
    household(tree["A0101"], people["A0101"][0])  # not visited this quarter
    household(tree["A0101"], people["A0101"][1], visited_on=date(2026, 10, 20))  # visited
    household(tree["B0102"], people["B0102"][0])
    Pledge.objects.create(member=people["A0101"][0], year=year, pledged_on=date(year, 1, 10))  # not yet fulfilled
    Pledge.objects.create(member=people["B0102"][0], year=year, pledged_on=date(year, 1, 10))
    return people


def test_staff_chart_holds_the_district_with_every_organization_below_it(cast, as_user, tree, work):
    chart = chart_of(as_user(cast["staff"]).get(CHART))
    assert chart["tree"]["name"] == "相城区委"
    assert [child["name"] for child in chart["tree"]["children"]] == ["甲街道党工委", "乙镇党委"]
    assert set(nodes(chart["tree"])) == {organization.code for organization in tree.values()}
    assert [number["key"] for number in chart["numbers"]] == [
        "members",
        "action_branches",
        "unvisited",
        "unfulfilled",
        "without_pledge",
    ]
    district = figures_of(chart, chart["tree"])
    assert district == {"members": 6, "action_branches": 3, "unvisited": 2, "unfulfilled": 2, "without_pledge": 4}


def test_each_node_counts_its_subtree(cast, as_user, tree, work):
    chart = chart_of(as_user(cast["staff"]).get(CHART))
    found = nodes(chart["tree"])
    assert figures_of(chart, found["A0101"]) == {
        "members": 3,
        "action_branches": 1,
        "unvisited": 1,
        "unfulfilled": 1,
        "without_pledge": 2,
    }
    assert figures_of(chart, found["A01"])["members"] == 4
    assert figures_of(chart, found["A"])["action_branches"] == 2
    assert figures_of(chart, found["A0102"]) == dict.fromkeys(figures_of(chart, found["A0102"]), 0)
    assert figures_of(chart, found["B"])["members"] == 2


@pytest.mark.parametrize("role", ["staff", "secretary_a"])
def test_every_number_opens_exactly_the_rows_it_counts(cast, tree, work, role):
    client = Client()
    client.force_login(cast[role])
    chart = chart_of(client.get(CHART))
    for code, node in nodes(chart["tree"]).items():
        for key, count in figures_of(chart, node).items():
            response = client.get(link(chart, key, node))
            assert response.status_code == 200, (code, key)
            assert response.context["cl"].result_count == count, (code, key)


def test_secretary_chart_holds_only_their_town(cast, as_user, tree, work):
    response = as_user(cast["secretary_a"]).get(CHART)
    chart = chart_of(response)
    assert chart["tree"]["name"] == "甲街道党工委"
    assert set(nodes(chart["tree"])) == {"A", "A01", "A0101", "A0102"}
    body = response.content.decode()
    assert "乙镇党委" not in body
    assert "相城区委" not in body
    assert figures_of(chart, chart["tree"])["members"] == 4  # town B's members are not counted
    # The node's first link is the list behind it: the town's members on the roll.
    members = as_user(cast["secretary_a"]).get(link(chart, "members", chart["tree"]))
    assert {member.organization.code for member in members.context["cl"].result_list} == {"A0101", "A01"}


def test_a_secretary_of_two_organizations_gets_a_node_above_both(cast, as_user, tree, work):
    secretary = cast["secretary_a"]
    AccountScope.objects.create(user=secretary, organization=tree["B01"])
    client = as_user(secretary)
    chart = chart_of(client.get(CHART))
    top = chart["tree"]
    assert top["name"] == SCOPE_ROOT and top["code"] == ""
    assert [child["code"] for child in top["children"]] == ["A", "B01"]
    assert figures_of(chart, top)["members"] == 6
    # The node above both opens the list of the whole scope.
    assert client.get(link(chart, "members", top)).context["cl"].result_count == 6
    assert "乙镇党委<" not in client.get(CHART).content.decode()


def test_a_user_sees_only_the_numbers_of_lists_they_may_view(tree, as_user, work):
    group = Group.objects.create(name="只看组织和行动支部")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="branches", codename__in=["view_organization", "view_actionbranch"]
        )
    )
    user = UserFactory(username="viewer")
    user.groups.add(group)
    AccountScope.objects.create(user=user, organization=tree["A"])
    chart = chart_of(as_user(user).get(CHART))
    assert [number["key"] for number in chart["numbers"]] == ["action_branches"]
    assert figures_of(chart, chart["tree"]) == {"action_branches": 2}


def test_users_without_a_scope_or_a_role_are_refused(cast, as_user, tree, work):
    unassigned = UserFactory(username="secretary_unassigned")
    unassigned.groups.add(Group.objects.get(name=SECRETARY))
    for user in (unassigned, cast["outsider"]):
        response = as_user(user).get(CHART)
        assert response.status_code == 403
        assert "甲街道党工委" not in response.content.decode()
    assert Client().get(CHART).status_code == 302


def test_the_switch_links_tree_list_and_chart(cast, as_user, tree):
    client = as_user(cast["staff"])
    chart_link = f'<a href="{CHART}">组织图</a>'
    assert chart_link in client.get("/admin/branches/organization/").content.decode()
    assert chart_link in client.get("/admin/branches/organization/", {"view": "list"}).content.decode()
    assert f'<a href="{CHART}" aria-current="page">组织图</a>' in client.get(CHART).content.decode()


def test_the_chart_writes_no_inline_style_or_script(cast, as_user, tree, work):
    body = as_user(cast["staff"]).get(CHART).content.decode()
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", body)
    scripts = re.findall(r"<script([^>]*)>", body)
    assert all(" src=" in attributes or 'type="application/json"' in attributes for attributes in scripts)
    assert "vendor/echarts/echarts.min.js" in body and "xiangcheng/organization_chart.js" in body


def test_names_are_escaped_in_the_data(cast, as_user, tree):
    OrganizationFactory(parent=tree["A01"], name="</script><b>党支部", code="A0199")
    response = as_user(cast["staff"]).get(CHART)
    assert "</script><b>" not in response.content.decode()
    assert "</script><b>党支部" in {node["name"] for node in nodes(chart_of(response)["tree"]).values()}


BAD = ["", "nope", "A\x00", "A" * 100_000, "'; DROP TABLE x;--", "%", "B"]


@pytest.mark.parametrize("value", BAD, ids=range(len(BAD)))
def test_a_bad_parameter_never_answers_500(cast, as_user, tree, value):
    client = as_user(cast["secretary_a"])
    for name in ("org", "view", "parent", "expand", "year", "q"):
        response = client.get(CHART, {name: value})
        assert response.status_code == 200, name
        assert set(nodes(chart_of(response)["tree"])) == {"A", "A01", "A0101", "A0102"}


# (role): queries of a chart computed afresh: session, user, second step, permissions (2), then
# the data version, the stored chart, the organizations and one grouped query per number (5), the
# chart stored, and the session's own save (3, as on every page).
QUERIES = {"staff": 18, "secretary_a": 18}
# Read back from the store: the data version and the stored chart, nothing counted.
STORED = {"staff": 11, "secretary_a": 11}


def _grow(tree) -> None:
    """More of everything the chart counts: towns, branches, members, action branches."""
    for n in range(3):
        town = OrganizationFactory(
            parent=tree["district"], type=Organization.Type.TOWN, name=f"新镇{n}党委", code=f"N{n}"
        )
        OrganizationFactory(parent=town, name=f"新镇{n}第一党支部", code=f"N{n}01")
    for n in range(5):
        branch = OrganizationFactory(parent=tree["A01"], name=f"甲街道新党支部{n}", code=f"A01N{n}")
        member = MemberFactory(organization=branch)
        ActionBranchFactory(organization=branch)
        household(branch, member)


@pytest.mark.parametrize("role", list(QUERIES))
def test_queries_are_fixed_whatever_the_size_of_the_tree(cast, tree, work, django_assert_num_queries, role):
    client = Client()
    client.force_login(cast[role])
    client.get(CHART)  # warms the process's caches (content types, the session)
    snapshots.mark_changed()
    with django_assert_num_queries(QUERIES[role]):
        small = chart_of(client.get(CHART))
    _grow(tree)
    with django_assert_num_queries(QUERIES[role]):
        large = chart_of(client.get(CHART))
    assert len(nodes(large["tree"])) > len(nodes(small["tree"]))


@pytest.mark.parametrize("role", list(STORED))
def test_a_repeated_view_reads_the_chart_back_until_the_data_changes(cast, tree, work, django_assert_num_queries, role):
    client = Client()
    client.force_login(cast[role])
    first = chart_of(client.get(CHART))
    client.get(CHART)  # the session settles
    with django_assert_num_queries(STORED[role]) as captured:
        again = chart_of(client.get(CHART))
    assert again == first
    counted = ('FROM "branches_organization"', 'FROM "members_', 'FROM "branches_actionbranch"')
    assert not [query for query in captured.captured_queries if any(name in query["sql"] for name in counted)]
    MemberFactory(organization=tree["A0102"])
    changed = chart_of(client.get(CHART))
    assert figures_of(changed, nodes(changed["tree"])["A0102"])["members"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_quarter_counts_its_own_numbers_not_the_last_quarters_as_they_stood(cast, as_user, tree, work, settings):
    """Counts stored on an earlier day are shown as they stood while counted again, but only
    under the same labels and links: on a new quarter's first day the chart counts that quarter."""
    settings.FIGURES_BACKGROUND_MS = 0
    new_year = timezone.make_aware(datetime.combine(date(clock.TODAY.year + 1, 1, 1), time(0, 5)))
    with time_machine.travel(new_year - timedelta(minutes=10), tick=True):
        client = as_user(cast["staff"])
        chart = chart_of(shown(client, CHART))
        assert figures_of(chart, nodes(chart["tree"])["A0101"])["unvisited"] == 1
    with time_machine.travel(new_year, tick=True):
        # Counted for the first time (nothing stored under the new quarter's labels): the page
        # says so and reloads itself.
        assert client.get(CHART).status_code == 202
        response = shown(client, CHART)
        chart = chart_of(response)
        # Nobody is paired for the new year yet: nothing is due a visit in its first quarter.
        assert figures_of(chart, nodes(chart["tree"])["A0101"])["unvisited"] == 0
        assert "新近的变更正在计入" not in response.content.decode()
        assert f"unvisited={clock.TODAY.year + 1}-1" in link(chart, "unvisited", nodes(chart["tree"])["A0101"])
    snapshots.wait_for_refreshes()
