"""The permission matrix: the named cast over every registered admin page."""

import re
from datetime import date

import pytest
from django.contrib import admin

from branches.models import AccountScope, Organization
from members.models import Member
from talent.models import Talent
from tests.conftest import grant
from tests.factories import MemberFactory, TalentFactory, UserFactory
from xiangcheng.models import Target
from xiangcheng.scoping import visible

ORGS = "/admin/branches/organization/"


def codes(response):
    return {org.code for org in response.context["cl"].result_list}


def test_staff_sees_the_whole_district(cast, as_user, tree):
    assert codes(as_user(cast["staff"]).get(ORGS, {"view": "list"})) == {org.code for org in tree.values()}


def test_secretary_sees_only_their_town(cast, as_user):
    assert codes(as_user(cast["secretary_a"]).get(ORGS, {"view": "list"})) == {"A", "A01", "A0101", "A0102"}
    assert codes(as_user(cast["secretary_b"]).get(ORGS, {"view": "list"})) == {"B", "B01", "B0101", "B0102"}


def test_user_without_role_sees_nothing(cast, as_user, tree):
    client = as_user(cast["outsider"])
    assert client.get(ORGS).status_code == 403
    assert client.get(f"{ORGS}{tree['A'].pk}/change/").status_code in (403, 404)
    assert Organization.objects.visible_to(cast["outsider"]).count() == 0


def test_a_scope_without_the_model_permission_shows_no_rows(tree):
    member = MemberFactory(organization=tree["A0101"])
    MemberFactory(organization=tree["B0101"])
    user = UserFactory(username="scope_only")
    AccountScope.objects.create(user=user, organization=tree["A"])
    assert list(Member.objects.visible_to(user)) == []
    grant(user, "members.view_member")
    assert list(Member.objects.visible_to(user)) == [member]


def test_district_staff_without_the_model_permission_see_no_rows(tree):
    MemberFactory(organization=tree["A0101"])
    user = UserFactory(username="district_only")
    grant(user, "branches.view_all_organizations")
    assert not Member.objects.visible_to(user).exists()
    grant(user, "members.view_member")
    assert Member.objects.visible_to(user).count() == 1


def test_visible_to_answers_for_the_action_asked(cast, tree):
    talent = TalentFactory(organization=tree["A0101"])
    secretary = cast["secretary_a"]
    # Secretaries follow the talents of their subtree read-only.
    assert list(Talent.objects.visible_to(secretary)) == [talent]
    assert list(Talent.objects.visible_to(secretary, "change")) == []
    assert list(visible(Talent.objects.all(), secretary, "delete")) == []
    assert list(Talent.objects.visible_to(cast["staff"], "change")) == [talent]


def test_a_model_of_no_organization_needs_only_the_permission(cast):
    Target.objects.create(
        name="三年引进人才", rule="talents_introduced", value=3000, start=date(2018, 1, 1), end=date(2020, 12, 31)
    )
    assert visible(Target.objects.all(), cast["staff"]).count() == 1
    assert visible(Target.objects.all(), cast["secretary_a"]).count() == 0
    assert visible(Target.objects.all(), cast["outsider"]).count() == 0


def test_within_is_the_subtree_of_each_organization_given(tree):
    codes_within = {org.code for org in Organization.objects.all().within(tree["A01"], tree["B0101"].path)}
    assert codes_within == {"A01", "A0101", "A0102", "B0101"}
    assert not Organization.objects.all().within().exists()


def test_counting_reads_the_same_rows_through_the_organizations_key(cast, tree):
    """A count reads a scope's organizations once and matches them on the key that leads to them
    (each row then found by that key's index); a list keeps the join on the path. Same rows."""
    from django.contrib.auth.models import AnonymousUser

    from members.models import Fulfilment, Pledge

    for code in ("A0101", "A0102", "B0101"):
        pledge = Pledge.objects.create(
            member=MemberFactory(organization=tree[code]), year=2026, pledged_on=date(2026, 5, 17)
        )
        Fulfilment.objects.create(pledge=pledge, kind="talent_contact", done_on=date(2026, 6, 1))
    for who in ("secretary_a", "secretary_b", "staff"):
        for model in (Member, Fulfilment):
            listed = visible(model.objects.all(), cast[who])
            counted = visible(model.objects.all(), cast[who], counting=True)
            assert set(counted) == set(listed), (who, model)
            assert ("= ANY((ARRAY(SELECT" in str(counted.query)) == (who != "staff")
            assert "ANY(" not in str(listed.query)
    town = Fulfilment.objects.within(tree["A01"], counting=True)
    assert town.count() == 2 and "= ANY((ARRAY(SELECT" in str(town.query)
    # The root's subtree is the whole district: a join, not every organization in one array.
    district = Fulfilment.objects.within(tree["district"], counting=True)
    assert district.count() == 3 and "ANY(" not in str(district.query)
    assert visible(Member.objects.all(), AnonymousUser(), counting=True).count() == 0


def test_a_count_matches_by_key_only_the_subtrees_all_its_rows_lie_in(tree):
    """A list's count (`counted`) matches again the subtrees its rows were narrowed to: of rows
    from town A or town B, neither alone (or B's rows went uncounted), of rows from two
    branches of A, A. A union of two towns is counted as it is."""
    for code in ("A0101", "A0102", "B0101"):
        MemberFactory(organization=tree[code])
    town_a, town_b = Member.objects.within(tree["A"]), Member.objects.within(tree["B"])
    either = town_a | town_b
    assert either.counted().count() == either.count() == 3
    assert "ANY(" not in str(either.counted().query)
    branches = town_a.filter(organization=tree["A0101"]) | town_a.filter(organization=tree["A0102"])
    assert branches.counted().count() == 2 and "= ANY((ARRAY(SELECT" in str(branches.counted().query)
    assert (town_a ^ town_b).counted().count() == 3
    assert (Member.objects.none() | town_b).counted().count() == 1
    assert town_a.union(town_b).counted().count() == 3


def test_a_secretarys_own_town_is_named_once_in_a_list_and_in_a_count(cast, as_user, tree):
    """A dashboard link to a secretary's own town (?org=) and a section counting that town
    write the subtree once: twice, the planner counts it twice and plans for a tenth of the
    rows. A branch within the town still narrows the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from members.models import Fulfilment, Pledge
    from xiangcheng.reports import scoped

    for code in ("A0101", "A0102", "B0101"):
        pledge = Pledge.objects.create(
            member=MemberFactory(organization=tree[code], name=f"党员{code}"), year=2026, pledged_on=date(2026, 5, 17)
        )
        Fulfilment.objects.create(pledge=pledge, kind="talent_contact", done_on=date(2026, 6, 1))
    client = as_user(cast["secretary_a"])
    url = "/admin/members/fulfilment/"
    for code, names in (("A", {"党员A0101", "党员A0102"}), ("A0101", {"党员A0101"}), ("B", set())):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?org={code}")
        assert response.status_code == 200
        shown = {name for name in ("党员A0101", "党员A0102", "党员B0101") if name in response.content.decode()}
        assert shown == names, code
        pages = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "members_fulfilment"."id"')]
        assert [page.count("<@") for page in pages] == {"A": [1], "A0101": [2], "B": []}[code]
    counted = scoped(Fulfilment.objects.all(), cast["secretary_a"], tree["A"])
    assert counted.count() == 2 and str(counted.query).count("<@") == 1
    assert scoped(Fulfilment.objects.all(), cast["secretary_a"], tree["A0101"]).count() == 1
    assert scoped(Fulfilment.objects.all(), cast["staff"], tree["A"]).count() == 2


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_secretary_gets_404_for_other_town(cast, as_user, tree, view):
    client = as_user(cast["secretary_a"])
    assert client.get(f"{ORGS}{tree['B0101'].pk}/{view}/").status_code == 404
    assert client.get(f"{ORGS}{tree['A0101'].pk}/{view}/").status_code in (200, 403)


def test_forged_delete_of_other_town_changes_nothing(cast, as_user, tree):
    grant(cast["secretary_a"], "branches.delete_organization")
    client = as_user(cast["secretary_a"])
    response = client.post(f"{ORGS}{tree['B0102'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 404
    assert Organization.objects.filter(code="B0102").exists()


def test_delete_action_ignores_out_of_scope_ids(cast, as_user, tree):
    grant(cast["secretary_a"], "branches.delete_organization")
    client = as_user(cast["secretary_a"])
    client.post(
        ORGS,
        {"action": "delete_selected", "_selected_action": [tree["B0102"].pk, tree["A0102"].pk], "post": "yes"},
    )
    assert Organization.objects.filter(code="B0102").exists()
    assert not Organization.objects.filter(code="A0102").exists()


def test_forged_parent_from_other_town_is_a_form_error(cast, as_user, tree):
    grant(cast["secretary_a"], "branches.change_organization")
    client = as_user(cast["secretary_a"])
    general = tree["A01"]
    response = client.post(
        f"{ORGS}{general.pk}/change/",
        {"parent": tree["B"].code, "type": "general_branch", "name": general.name, "code": "A01", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Organization.objects.get_parent(Organization.objects.get(code="A01")) == tree["A"]


def test_parent_choices_are_scoped(cast, as_user, tree):
    grant(cast["secretary_a"], "branches.change_organization")
    response = as_user(cast["secretary_a"]).get(f"{ORGS}{tree['A01'].pk}/change/")
    choices = {org.code for org in response.context["adminform"].form.fields["parent"].queryset}
    assert choices == {"A", "A01"}


def test_town_filter_offers_only_visible_towns(cast, as_user):
    response = as_user(cast["secretary_a"]).get(ORGS, {"view": "list"})
    town_filter = next(
        spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "town"
    )
    assert [code for code, _ in town_filter.lookup_choices] == ["A"]
    forged = as_user(cast["secretary_a"]).get(ORGS, {"town": "B"})
    assert codes(forged) == set()


def test_autocomplete_is_scoped(cast, as_user):
    params = {"app_label": "branches", "model_name": "accountscope", "field_name": "organization", "term": "党支部"}
    secretary = as_user(cast["secretary_a"]).get("/admin/autocomplete/", params).json()
    assert {item["text"] for item in secretary["results"]} == {"甲街道党工委第1党支部", "甲街道党工委第2党支部"}
    staff = as_user(cast["staff"]).get("/admin/autocomplete/", params).json()
    assert len(staff["results"]) == 4
    outsider = as_user(cast["outsider"]).get("/admin/autocomplete/", params)
    assert outsider.status_code == 403


def test_organization_picker_lists_the_users_organizations_by_name_or_code(cast, as_user, tree):
    choices = "/admin/organizations/choices/"
    secretary = as_user(cast["secretary_a"]).get(choices, {"term": "党支部"}).json()
    assert secretary == {
        "results": [{"id": "A0101", "text": "甲街道党工委第1党支部"}, {"id": "A0102", "text": "甲街道党工委第2党支部"}],
        "pagination": {"more": False},
    }
    assert as_user(cast["secretary_a"]).get(choices, {"term": "B"}).json()["results"] == []
    staff = as_user(cast["staff"])
    assert [item["id"] for item in staff.get(choices, {"term": "b01"}).json()["results"]] == ["B01", "B0101", "B0102"]
    everything = staff.get(choices).json()
    assert [item["id"] for item in everything["results"]][:3] == ["XC", "A", "A01"]
    for forged in (
        {"page": "x"},
        {"page": "-3"},
        {"page": "9" * 40},
        {"page": "²"},
        {"term": "%" * 500},
        {"term": "a\x00"},
    ):
        assert staff.get(choices, forged).status_code == 200
    assert as_user(cast["outsider"]).get(choices).json()["results"] == []


def test_a_page_with_an_organization_picker_holds_only_the_chosen_organization(cast, as_user, tree):
    html = as_user(cast["staff"]).get("/admin/", {"organization": "A01"}).content.decode()
    picker = re.search(r'<select name="organization".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", picker) == ["甲街道党工委第一党总支"]
    assert 'data-ajax--url="/admin/organizations/choices/"' in picker


def test_history_is_scoped_and_read_only(cast, as_user, tree):
    client = as_user(cast["secretary_a"])
    url = f"{ORGS}{tree['A0101'].pk}/history/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"revert": "1"}).status_code == 405


def test_every_organization_owned_model_has_a_scoped_admin():
    """Architecture: any model that points at an organization is scoped, and its admin too; any
    model with personal numbers has them masked by its admin."""
    from xiangcheng.admin import MaskedNumbersAdminMixin, ScopedAdminMixin
    from xiangcheng.scoping import is_scoped

    problems = []
    for model, model_admin in admin.site._registry.items():
        owned = model is Organization or any(
            field.is_relation and field.related_model is Organization and not field.auto_created
            for field in model._meta.get_fields()
        )
        if owned and not is_scoped(model):
            problems.append(f"{model._meta.label} points at an organization but has no scope_path")
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            if is_scoped(each.model) and not isinstance(each, ScopedAdminMixin):
                problems.append(f"{type(each).__name__} for {each.model._meta.label} lacks ScopedAdminMixin")
            if getattr(each.model, "personal_fields", None) and not isinstance(each, MaskedNumbersAdminMixin):
                problems.append(f"{type(each).__name__} for {each.model._meta.label} lacks MaskedNumbersAdminMixin")
            for name in getattr(each, "raw_id_fields", ()):
                related = each.model._meta.get_field(name).related_model
                if getattr(related, "personal_fields", None) or is_scoped(related):
                    problems.append(f"{type(each).__name__}.raw_id_fields points at {related._meta.label}")
    assert problems == []


def test_scoped_choices_do_not_leak_from_one_user_to_the_next(cast, as_user, tree):
    grant(cast["secretary_a"], "branches.change_organization")
    as_user(cast["secretary_a"]).get(f"{ORGS}{tree['A01'].pk}/change/")
    response = as_user(cast["staff"]).get(f"{ORGS}add/")
    choices = {org.code for org in response.context["adminform"].form.fields["parent"].queryset}
    assert {"B", "B01"} <= choices
