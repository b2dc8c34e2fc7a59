"""The service log: rules, scoping, the phone-sized add form and the changelist's cost."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import ActionBranch, ServiceAction
from tests import clock
from tests.conftest import grant, opened
from tests.factories import ActionBranchFactory, MemberFactory, ServiceActionFactory, UserFactory

ACTIONS = "/admin/branches/serviceaction/"
BRANCHES = "/admin/branches/actionbranch/"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def branches(tree):
    """One action branch in each town, with two members each."""
    found = {}
    for town in ("A", "B"):
        branch = ActionBranchFactory(name=f"{town}镇便民服务行动支部", organization=tree[f"{town}01"])
        members = MemberFactory.create_batch(2, organization=tree[f"{town}0101"])
        branch.members.set(members)
        branch.secretary = members[0]
        branch.save()
        found[town] = branch
    return found


def add_form(client):
    return client.get(f"{ACTIONS}add/").context["adminform"].form


def post_action(client, branch, **fields):
    data = {
        "action_branch": branch.pk,
        "served_on": "2026-03-02",
        "kind": "volunteer",
        "title": "周末志愿服务",
        "people_served": "12",
        "place": "社区广场",
        "description": "",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return client.post(f"{ACTIONS}add/", data)


# Rules


@pytest.mark.parametrize(("value", "message"), [("-1", "大于或等于0"), ("2.5", "整数"), ("", "这个字段是必填项")])
def test_person_times_must_be_a_whole_number_of_zero_or_more(cast, as_user, branches, value, message):
    response = post_action(as_user(cast["secretary_a"]), branches["A"], people_served=value)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["people_served"])
    assert not ServiceAction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        # Once saved, and the dashboard's 本期服务人次 read 2,000,000,460.
        ({"people_served": "2000000000"}, "people_served", "服务人次过大（一次服务不超过 100,000 人次），请核对。"),
        ({"served_on": "2099-03-01"}, "served_on", "日期不能晚于今天。"),
        # Saved as of 1990, and then counted in no report.
        ({"served_on": "1990-01-01"}, "served_on", "服务日期早于该行动支部的成立日期（{founded}）。"),
    ],
)
def test_an_impossible_service_is_refused_and_nothing_is_written(cast, as_user, branches, fields, field, message):
    response = post_action(as_user(cast["secretary_a"]), branches["A"], **fields)
    assert response.status_code == 200
    founded = f"{branches['A'].founded_on:%Y-%m-%d}"
    assert response.context["adminform"].form.errors[field] == [message.format(founded=founded)]
    assert not ServiceAction.objects.exists()


def test_zero_person_times_is_allowed(cast, as_user, branches):
    assert post_action(as_user(cast["secretary_a"]), branches["A"], people_served="0").status_code == 302
    assert ServiceAction.objects.get().people_served == 0


def test_the_same_action_cannot_be_logged_twice_on_one_day(branches):
    ServiceActionFactory(action_branch=branches["A"], served_on=date(2026, 3, 2), title="周末志愿服务")
    twin = ServiceAction(
        action_branch=branches["A"], served_on=date(2026, 3, 2), title="周末志愿服务", kind="visit", people_served=1
    )
    with pytest.raises(ValidationError, match="当天已登记过同一主题的服务"):
        twin.full_clean()


def test_participants_must_be_members_of_the_action_branch(cast, as_user, branches, tree):
    action = ServiceActionFactory(action_branch=branches["A"], served_on=date(2026, 3, 2))
    stranger = MemberFactory(name="外支部党员", organization=tree["A0102"])
    client = as_user(cast["staff"])
    form = client.get(f"{ACTIONS}{action.pk}/change/").context["adminform"].form
    assert set(form.fields["participants"].queryset) == set(branches["A"].members.all())
    data = {
        "action_branch": branches["A"].pk,
        "served_on": "2026-03-02",
        "kind": "volunteer",
        "title": action.title,
        "people_served": "5",
        "participants": [branches["A"].members.first().pk, stranger.pk],
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        **opened(action),
    }
    response = client.post(f"{ACTIONS}{action.pk}/change/", data)
    assert response.status_code == 200
    assert "参与党员须是所选行动支部的成员" in response.content.decode()
    assert not action.participants.exists()
    data["participants"] = [member.pk for member in branches["A"].members.all()]
    assert client.post(f"{ACTIONS}{action.pk}/change/", data).status_code == 302
    assert action.participants.count() == 2


def test_action_branch_members_must_belong_to_the_host_subtree(cast, as_user, branches, tree):
    outsider = MemberFactory(name="乙镇党员", organization=tree["B0101"])
    branch = branches["A"]
    response = as_user(cast["staff"]).post(
        f"{BRANCHES}{branch.pk}/change/",
        {
            "name": branch.name,
            "category": "convenience",
            "organization": branch.organization.pk,
            "secretary": outsider.pk,
            "members": [outsider.pk],
            "founded_on": "2020-01-01",
            "status": "active",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["members"] == errors["secretary"] == ["须是甲街道党工委第一党总支（含下级组织）的党员。"]
    assert not ActionBranch.objects.filter(members=outsider).exists()
    branch.refresh_from_db()
    assert branch.secretary.organization == tree["A0101"]


def test_a_secretary_from_outside_the_host_is_refused_on_every_path(branches, tree):
    branch = branches["A"]
    branch.secretary = MemberFactory(organization=tree["B0101"])
    with pytest.raises(ValidationError, match="行动支部书记须是甲街道党工委第一党总支（含下级组织）的党员"):
        branch.full_clean()


def test_an_action_branch_whose_secretary_has_moved_away_is_still_saved_and_dissolved(cast, as_user, branches, tree):
    from members.models import Member
    from tests.conftest import change_form_data

    branch = branches["A"]
    Member.objects.filter(pk=branch.secretary_id).update(organization=tree["B0101"])
    client = as_user(cast["staff"])
    url = f"/admin/branches/actionbranch/{branch.pk}/change/"
    saved = client.post(url, {**change_form_data(client.get(url)), "status": "dissolved"})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    branch.refresh_from_db()
    assert branch.status == "dissolved" and branch.secretary.organization == tree["B0101"]


# Scoping


def test_secretary_lists_only_the_actions_of_their_subtree(cast, as_user, branches):
    ServiceActionFactory(action_branch=branches["A"], title="甲镇服务", served_on=date(2026, 3, 2))
    ServiceActionFactory(action_branch=branches["B"], title="乙镇服务", served_on=date(2026, 3, 2))
    body = as_user(cast["secretary_a"]).get(ACTIONS).content.decode()
    assert "甲镇服务" in body and "乙镇服务" not in body


def test_secretary_chooses_only_their_action_branches_and_a_forged_one_is_refused(cast, as_user, branches):
    client = as_user(cast["secretary_a"])
    assert set(add_form(client).fields["action_branch"].queryset) == {branches["A"]}
    response = post_action(client, branches["B"])
    assert response.status_code == 200
    assert "action_branch" in response.context["adminform"].form.errors
    assert not ServiceAction.objects.exists()


def test_secretary_edits_their_actions_but_may_not_delete_them(cast, as_user, branches):
    action = ServiceActionFactory(action_branch=branches["A"], served_on=date(2026, 3, 2))
    client = as_user(cast["secretary_a"])
    assert client.get(f"{ACTIONS}{action.pk}/change/").status_code == 200
    assert client.get(f"{ACTIONS}{action.pk}/delete/").status_code == 403
    assert client.get(f"{BRANCHES}{branches['A'].pk}/change/").status_code == 200  # read-only view
    assert client.post(f"{BRANCHES}{branches['A'].pk}/change/", {"name": "改名"}).status_code == 403


# The add form


def test_add_form_preselects_the_only_action_branch_and_today(cast, as_user, branches):
    form = add_form(as_user(cast["secretary_a"]))
    assert form.initial["action_branch"] == branches["A"].pk
    assert form.initial["served_on"] == timezone.localdate()
    # Participants are typed in by name, among the members of action branches.
    assert type(form.fields["participants"].widget.widget).__name__ == "AutocompleteSelectMultiple"


def test_add_form_preselects_the_branch_logged_last_when_there_are_several(cast, as_user, branches, tree):
    other = ActionBranchFactory(name="甲镇网格治理行动支部", organization=tree["A0102"], category="governance")
    client = as_user(cast["secretary_a"])
    assert "action_branch" not in add_form(client).initial  # two branches, nothing logged yet
    assert post_action(client, other).status_code == 302
    assert add_form(client).initial["action_branch"] == other.pk


def test_staff_see_no_preselection(cast, as_user, branches):
    assert "action_branch" not in add_form(as_user(cast["staff"])).initial


def test_save_and_add_another_records_the_user_and_returns_a_preselected_form(cast, as_user, branches):
    client = as_user(cast["secretary_a"])
    response = post_action(client, branches["A"], _addanother="1")
    assert response.status_code == 302 and response.url.startswith(f"{ACTIONS}add/")
    action = ServiceAction.objects.get()
    assert action.recorded_by == cast["secretary_a"]
    assert add_form(client).initial["action_branch"] == branches["A"].pk
    # Editing by someone else keeps the original recorder.
    staff = as_user(cast["staff"])
    page = staff.get(f"{ACTIONS}{action.pk}/change/")
    assert "secretary_a" in page.content.decode()


def test_add_form_offers_save_and_add_another(cast, as_user, branches):
    body = as_user(cast["secretary_a"]).get(f"{ACTIONS}add/").content.decode()
    assert 'name="_addanother"' in body


# Cost of the list


def test_service_log_changelist_costs_the_same_at_two_sizes(cast, as_user, branches, tree):
    counts = []
    client = as_user(cast["secretary_a"])
    for size in (2, 25):
        for n in range(size):
            branch = ActionBranchFactory(organization=tree["A0101"])
            action = ServiceActionFactory(action_branch=branch, served_on=date(2026, 1, 1 + n % 28))
            action.participants.set(branches["A"].members.all())
        client.get(ACTIONS)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ACTIONS)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_action_branch_changelist_costs_the_same_at_two_sizes(cast, as_user, tree):
    counts = []
    client = as_user(cast["staff"])
    for size in (2, 20):
        for _ in range(size):
            branch = ActionBranchFactory(
                organization=tree["A0101"], secretary=MemberFactory(organization=tree["A0101"])
            )
            ServiceActionFactory(action_branch=branch, served_on=timezone.localdate())
        client.get(BRANCHES)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BRANCHES).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_action_branch_list_shows_this_years_totals_and_members(cast, as_user, branches):
    today = timezone.localdate()
    ServiceActionFactory(action_branch=branches["A"], served_on=today, people_served=7)
    ServiceActionFactory(action_branch=branches["A"], served_on=date(today.year, 1, 1), people_served=5)
    ServiceActionFactory(action_branch=branches["A"], served_on=date(today.year - 1, 12, 31), people_served=100)
    rows = as_user(cast["staff"]).get(BRANCHES).context["cl"].result_list
    row = next(row for row in rows if row.pk == branches["A"].pk)
    assert (row.actions_total, row.people_total, row.member_total) == (2, 12, 2)


def test_user_without_the_permission_sees_no_log(branches, as_user):
    user = UserFactory()
    grant(user, "branches.view_organization")
    assert as_user(user).get(ACTIONS).status_code == 403


def test_participant_search_finds_action_branch_members_of_the_secretarys_subtree(cast, as_user, branches, tree):
    MemberFactory(name="王不在行动支部", organization=tree["A0101"])
    branches["A"].members.add(MemberFactory(name="王在甲镇行动支部", organization=tree["A0102"]))
    branches["B"].members.add(MemberFactory(name="王在乙镇行动支部", organization=tree["B0101"]))
    response = as_user(cast["secretary_a"]).get(
        "/admin/autocomplete/",
        {"app_label": "branches", "model_name": "serviceaction", "field_name": "participants", "term": "王"},
    )
    assert response.status_code == 200
    # A member is offered with their branch (two of one name are told apart).
    assert [result["text"] for result in response.json()["results"]] == [f"王在甲镇行动支部（{tree['A0102']}）"]


def test_participant_search_finds_members_of_the_action_branch_chosen(cast, as_user, branches, tree):
    # The picker once offered members of every action branch of the town, and saving refused them.
    other = ActionBranchFactory(name="甲镇另一行动支部", organization=tree["A01"])
    other.members.add(MemberFactory(name="王在另一行动支部", organization=tree["A0102"]))
    branches["A"].members.add(MemberFactory(name="王在甲镇行动支部", organization=tree["A0102"]))
    query = {"app_label": "branches", "model_name": "serviceaction", "field_name": "participants", "term": "王"}
    client = as_user(cast["secretary_a"])

    def found(**forwarded):
        return sorted(
            result["text"].partition("（")[0]
            for result in client.get("/admin/autocomplete/", {**query, **forwarded}).json()["results"]
        )

    assert found(action_branch=branches["A"].pk) == ["王在甲镇行动支部"]
    assert found(action_branch=other.pk) == ["王在另一行动支部"]
    assert found() == ["王在另一行动支部", "王在甲镇行动支部"]
    assert found(action_branch=branches["B"].pk) == []  # another town's branch: none of theirs is visible
    assert found(action_branch="x\x00") == ["王在另一行动支部", "王在甲镇行动支部"]


def test_the_recorder_is_named_by_their_name_not_their_login(cast, as_user, branches):
    # The list, the record and its history once showed the login name ("secretary").
    secretary = cast["secretary_a"]
    secretary.last_name, secretary.first_name = "张", "晓梅"
    secretary.save()
    client = as_user(secretary)
    assert post_action(client, branches["A"]).status_code == 302
    action = ServiceAction.objects.get()
    staff = as_user(cast["staff"])
    for page in (ACTIONS, f"{ACTIONS}{action.pk}/change/", f"{ACTIONS}{action.pk}/history/"):
        body = staff.get(page).content.decode()
        assert "张晓梅" in body and secretary.username not in body, page
