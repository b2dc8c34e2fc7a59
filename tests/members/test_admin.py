"""The roster and 365 work in the admin: scoping, shortfall lists and their exports, the roster
import, transfers, the visit form and the completion page."""

import io
import re
from datetime import date

import openpyxl
import pytest
from django.urls import resolve
from django.utils import timezone

from members.models import Fulfilment, Household, Member, MemberTransfer, Pairing, Pledge, Visit
from talent.models import SupportRequest
from tests import clock
from tests.conftest import admin_confirm, admin_upload, change_form_data, grant, opened
from tests.factories import MemberFactory, TalentFactory, resident_id, talent_project
from xiangcheng.forms import quarter_choices, quarter_parameter, year_choices, year_parameter

MEMBERS = "/admin/members/member/"
HOUSEHOLDS = "/admin/members/household/"
VISITS = "/admin/members/visit/"
COMPLETION = "/admin/members/pledge/completion/"
YEAR = clock.TODAY.year
ROSTER_HEADER = "姓名,身份证号,所在党组织,入党日期,党员类别\n"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def household(organization, head="王大"):
    return Household.objects.create(
        head=head,
        address="一组1号",
        organization=organization,
        village="村",
        hardship="illness",
        registered_on=date(YEAR - 1, 6, 1),
        contact="13912345678",
    )


@pytest.fixture
def roster(tree):
    return {
        "a": MemberFactory(name="甲党员", organization=tree["A0101"], id_number=resident_id(1, region="320500")),
        "b": MemberFactory(name="乙党员", organization=tree["B0101"], id_number=resident_id(2, region="320500")),
    }


def names(response):
    return {str(obj) for obj in response.context["cl"].result_list}


def test_secretary_sees_only_their_members_with_numbers_masked(cast, as_user, roster):
    response = as_user(cast["secretary_a"]).get(MEMBERS)
    body = response.content.decode()
    assert names(response) == {"甲党员"}
    assert resident_id(1, region="320500") not in body
    assert resident_id(1, region="320500")[:6] + "*" * 11 in body


def test_a_row_of_a_filtered_or_searched_list_links_to_its_record_and_back_to_the_list(cast, as_user, tree):
    from django.urls import reverse
    from django.utils.html import escape
    from django.utils.http import urlencode

    member = MemberFactory(name="张三", organization=tree["A0101"])
    client = as_user(cast["staff"])
    change = reverse("admin:members_member_change", args=(member.pk,))

    def link(back):
        return 'href="' + escape(change + "?" + urlencode({"_changelist_filters": back})) + '"'

    assert (
        link("status__exact=on_roll&org=A")
        in client.get(MEMBERS, {"status__exact": "on_roll", "org": "A"}).content.decode()
    )
    # The list's own query goes back as one value, encoded as Django's admin does.
    assert link(urlencode({"q": "张三"})) in client.get(MEMBERS, {"q": "张三"}).content.decode()
    assert f'href="{change}"' in client.get(MEMBERS).content.decode()


def test_a_filtered_list_does_not_resolve_a_url_per_row(cast, as_user, tree, monkeypatch):
    """Django's row loop resolves each row's link again to carry the filters; the list writes
    them itself, so a page of a hundred rows costs no hundred URL resolutions."""
    from django.contrib.admin.templatetags import admin_urls

    calls = []
    monkeypatch.setattr(admin_urls, "resolve", lambda path: calls.append(path) or resolve(path))
    client = as_user(cast["staff"])

    def resolutions():
        calls.clear()
        client.get(MEMBERS, {"status__exact": "on_roll"})
        return len(calls)

    MemberFactory(organization=tree["A0101"])
    few = resolutions()
    for _ in range(4):
        MemberFactory(organization=tree["A0101"])
    assert resolutions() == few


def test_outsider_sees_no_member(cast, as_user, roster):
    assert as_user(cast["outsider"]).get(MEMBERS).status_code == 403


def test_members_without_a_pledge_list_and_export(cast, as_user, roster, tree):
    pledged = MemberFactory(name="已承诺", organization=tree["A0102"])
    Pledge.objects.create(member=pledged, year=YEAR, pledged_on=date(YEAR, 1, 5))
    client = as_user(cast["secretary_a"])
    assert names(client.get(MEMBERS, {"without_pledge": YEAR})) == {"甲党员"}
    export = client.post(f"{MEMBERS}export/?without_pledge={YEAR}", {"format": "0", "resource": "0"})
    text = export.content.decode("utf-8-sig")
    assert "甲党员" in text and "已承诺" not in text and "乙党员" not in text
    assert resident_id(1, region="320500") not in text


def test_department_sees_every_town_in_the_shortfall_list(cast, as_user, roster):
    assert names(as_user(cast["staff"]).get(MEMBERS, {"without_pledge": YEAR})) == {"甲党员", "乙党员"}


def test_members_below_their_household_quota(cast, as_user, tree):
    MemberFactory(name="领导干部", organization=tree["A0101"], leading_cadre_since=date(2020, 1, 1))
    agency = MemberFactory(name="机关党员", organization=tree["A0101"], agency_member_since=date(2020, 1, 1))
    Pairing.objects.create(member=agency, household=household(tree["A01"]), year=YEAR)
    response = as_user(cast["staff"]).get(MEMBERS, {"below_quota": YEAR})
    assert names(response) == {"领导干部"}


def test_households_unpaired_and_unvisited_lists(cast, as_user, tree):
    alone = household(tree["A01"], head="未结对户")
    paired = household(tree["A01"], head="未走访户")
    visited = household(tree["A01"], head="已走访户")
    far = household(tree["B01"], head="乙镇户")
    member = MemberFactory(organization=tree["A0101"])
    Pairing.objects.create(member=member, household=paired, year=YEAR)
    done = Pairing.objects.create(member=member, household=visited, year=YEAR)
    Visit.objects.create(pairing=done, visited_on=timezone.localdate(), action="走访")
    client = as_user(cast["secretary_a"])
    quarter = f"{YEAR}-{(timezone.localdate().month - 1) // 3 + 1}"
    assert names(client.get(HOUSEHOLDS, {"unpaired": YEAR})) == {str(alone)}
    assert names(client.get(HOUSEHOLDS, {"unvisited": quarter})) == {str(paired)}
    export = client.post(f"{HOUSEHOLDS}export/?unvisited={quarter}", {"format": "1", "resource": "0"})
    rows = list(openpyxl.load_workbook(io.BytesIO(export.getvalue())).active.values)
    assert [row[0] for row in rows[1:]] == ["未走访户"]
    assert "139****5678" in rows[1]
    assert far not in Household.objects.visible_to(cast["secretary_a"])


def test_roster_changelist_costs_the_same_queries_at_any_size(cast, as_user, tree, django_assert_num_queries):
    client = as_user(cast["staff"])
    client.get(MEMBERS)  # warm the session and permission caches

    def count():
        # Session, user, the second-step device, two permission lookups, towns for the filter, the
        # table estimate, count, rows, session save (3), the header's unread messages.
        with django_assert_num_queries(13):
            response = client.get(MEMBERS)
        return len(response.context["cl"].result_list)

    MemberFactory.create_batch(3, organization=tree["A0101"])
    assert count() == 3
    MemberFactory.create_batch(30, organization=tree["B0102"])
    assert count() == 33


def move_form(member, to, *, transfers=0, **fields):
    """The member's change form as posted, moving them to the organization `to`."""
    return {
        "name": member.name,
        "sex": member.sex,
        "ethnicity": "汉族",
        "id_number": member.id_number,
        "organization": to.pk,
        "category": "full",
        "status": "on_roll",
        "recognitions-TOTAL_FORMS": 0,
        "recognitions-INITIAL_FORMS": 0,
        "transfers-TOTAL_FORMS": transfers,
        "transfers-INITIAL_FORMS": transfers,
        **opened(member),
        **fields,
    }


def test_changing_the_organization_asks_for_the_transfer_date_and_records_it(cast, as_user, roster, tree):
    client = as_user(cast["staff"])
    member = roster["a"]
    form = move_form(member, tree["B0102"])
    response = client.post(f"{MEMBERS}{member.pk}/change/", form)
    assert "更改所在党组织须填写转接日期。" in response.content.decode()
    assert Member.objects.get(pk=member.pk).organization == tree["A0101"]
    response = client.post(f"{MEMBERS}{member.pk}/change/", {**form, "transferred_on": "2026-09-01"})
    assert response.status_code == 302, response.content.decode()
    move = MemberTransfer.objects.get(member=member)
    assert (move.from_organization, move.to_organization, move.transferred_on) == (
        tree["A0101"],
        tree["B0102"],
        date(2026, 9, 1),
    )


def test_a_value_that_fails_its_own_check_gets_that_message_alone(cast, as_user, roster, tree):
    # A malformed transfer date was also said to be missing; a 300-character enterprise too.
    client = as_user(cast["staff"])
    member = roster["a"]
    response = client.post(
        f"{MEMBERS}{member.pk}/change/", {**move_form(member, tree["B0102"]), "transferred_on": "明天"}
    )
    assert response.context["adminform"].form.errors["transferred_on"] == ["输入一个有效的日期。"]
    pledge = Pledge.objects.create(member=member, year=YEAR, pledged_on=date(YEAR, 1, 5))
    data = {
        "pledge": pledge.pk,
        "kind": "enterprise_need",
        "done_on": "2026-03-01",
        "enterprise": "企" * 300,
        "action": "x",
    }
    response = client.post("/admin/members/fulfilment/add/", data)
    assert response.context["adminform"].form.errors["enterprise"] == ["不能超过 200 个字符（现有 300 个）。"]


def test_a_list_judged_on_a_day_says_so_and_refuses_a_malformed_day(cast, as_user, roster, tree):
    # Opened from a report of a quarter already over: the sidebar showed no choice at all.
    query = {"on_roll": "yes@2026-03-31", "org": "A@2026-03-31"}
    staff = as_user(cast["staff"]).get(MEMBERS, query).content.decode()
    assert "在册（截至 2026-03-31）" in staff and "（按 2026-03-31 所在组织）" in staff
    secretary = as_user(cast["secretary_a"]).get(MEMBERS, query).content.decode()
    assert "（按 2026-03-31 所在组织；其后转出您权限范围的不在此列）" in secretary
    for bad in ({"on_roll": "yes@2026-02-30"}, {"org": "A@2026-13-01"}, {"org": "A@1900-01-01"}):
        response = as_user(cast["staff"]).get(MEMBERS, bad)
        assert response.status_code == 302 and response.url.endswith("?e=1"), bad


def test_roster_import_writes_every_row(cast, as_user, tree):
    client = as_user(cast["staff"])
    rows = "".join(f"党员{n},{resident_id(n, region='320500')},A0101,2010-07-01,正式党员\n" for n in range(5))
    preview = admin_upload(client, MEMBERS, (ROSTER_HEADER + rows).encode())
    admin_confirm(client, MEMBERS, preview)
    assert Member.objects.filter(organization=tree["A0101"]).count() == 5
    assert Member.objects.get(name="党员1").birth_date == date(1985, 1, 1)


def test_roster_import_with_one_bad_row_writes_nothing(cast, as_user, tree):
    client = as_user(cast["staff"])
    good = f"好党员,{resident_id(1, region='320500')},A0101,2010-07-01,正式党员\n"
    valid = resident_id(2, region="320500")
    bad = f"坏党员,{valid[:-1]}{'1' if valid[-1] == '0' else '0'},A0101,2010-07-01,正式党员\n"
    response = admin_upload(client, MEMBERS, (ROSTER_HEADER + good + bad).encode())
    body = response.content.decode()
    assert "<td>第 2 条数据</td><td>身份证号</td>" in body
    assert not Member.objects.exists()


def test_roster_import_refuses_the_same_person_twice_in_a_file(cast, as_user, tree):
    row = f"张三,{resident_id(1, region='320500')},A0101,2010-07-01,正式党员\n"
    response = admin_upload(as_user(cast["staff"]), MEMBERS, (ROSTER_HEADER + row + row).encode())
    assert "文件中同一身份证号出现多次（第 1、2 条数据）" in response.content.decode()
    assert not Member.objects.exists()


def test_secretary_cannot_import_members_into_another_town(cast, as_user, tree):
    row = f"张三,{resident_id(1, region='320500')},B0101,2010-07-01,正式党员\n"
    response = admin_upload(as_user(cast["secretary_a"]), MEMBERS, (ROSTER_HEADER + row).encode())
    assert "找不到党组织“B0101”，或不在您的权限范围内" in response.content.decode()
    assert not Member.objects.exists()


def test_visit_form_defaults_to_today_and_offers_only_own_pairings(cast, as_user, tree):
    mine = Pairing.objects.create(
        member=MemberFactory(organization=tree["A0101"]), household=household(tree["A01"]), year=YEAR
    )
    theirs = Pairing.objects.create(
        member=MemberFactory(organization=tree["B0101"]), household=household(tree["B01"]), year=YEAR
    )
    client = as_user(cast["secretary_a"])
    page = client.get(f"{VISITS}add/")
    assert page.context["adminform"].form["visited_on"].value() == timezone.localdate()
    refused = client.post(f"{VISITS}add/", {"pairing": theirs.pk, "visited_on": timezone.localdate(), "action": "x"})
    assert "pairing" in refused.context["adminform"].form.errors
    saved = client.post(f"{VISITS}add/", {"pairing": mine.pk, "visited_on": timezone.localdate(), "action": "送药"})
    assert saved.status_code == 302
    assert Visit.objects.get().pairing == mine


def test_secretary_logs_a_visit_on_a_pairing_with_another_towns_household(cast, as_user, tree):
    # Most of a town's pairings are with households of other towns. Their form showed the
    # household empty (not a choice the secretary may see), and saving it, to add a visit, was
    # refused: "这个字段是必填项".
    elsewhere = household(tree["B01"], head="乙镇户")
    pairing = Pairing.objects.create(member=MemberFactory(organization=tree["A0101"]), household=elsewhere, year=YEAR)
    client = as_user(cast["secretary_a"])
    page = client.get(f"/admin/members/pairing/{pairing.pk}/change/")
    body = page.content.decode()
    assert f'<option value="{elsewhere.pk}" selected>乙镇户' in body
    # No link to a household the secretary cannot open.
    assert f"/admin/members/household/{elsewhere.pk}/" not in body
    data = change_form_data(page)
    data.update({"visits-TOTAL_FORMS": 1, "visits-0-visited_on": timezone.localdate(), "visits-0-action": "送药上门"})
    saved = client.post(f"/admin/members/pairing/{pairing.pk}/change/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert list(pairing.visits.values_list("action", flat=True)) == ["送药上门"]
    pairing.refresh_from_db()
    assert pairing.household == elsewhere
    # Keeping it is allowed; choosing another household the secretary may not see is not.
    other = household(tree["B01"], head="乙镇另一户")
    refused = client.post(
        f"/admin/members/pairing/{pairing.pk}/change/",
        {**data, **opened(pairing), "household": other.pk, "visits-TOTAL_FORMS": 0},
    )
    assert "household" in refused.context["adminform"].form.errors
    pairing.refresh_from_db()
    assert pairing.household == elsewhere


def test_secretary_corrects_a_members_numbers_without_reading_them(cast, as_user, tree):
    # A secretary saw a member's numbers masked and read-only: a changed phone number could not be
    # put right, nor a household's ID number filled in once known.
    member = MemberFactory(organization=tree["A0101"], mobile="13912345678", id_number=resident_id(1, region="320500"))
    other = MemberFactory(organization=tree["A0101"], id_number=resident_id(2, region="320500"))
    client = as_user(cast["secretary_a"])
    url = f"{MEMBERS}{member.pk}/change/"
    page = client.get(url)
    body = page.content.decode()
    assert "13912345678" not in body and member.id_number not in body
    assert 'placeholder="139****5678"' in body
    assert 'inputmode="tel"' in client.get(f"{MEMBERS}add/").content.decode()
    data = change_form_data(page)
    assert data["mobile"] == data["id_number"] == ""

    def saved(**changes):
        response = client.post(url, {**data, **opened(member), **changes})
        member.refresh_from_db()
        return response

    # Left empty: kept.
    assert saved().status_code == 302
    assert (member.mobile, member.id_number) == ("13912345678", resident_id(1, region="320500"))
    # A wrong number or another member's ID number: refused beside the field, nothing changed.
    wrong = saved(mobile="1391234")
    assert "mobile" in wrong.context["adminform"].form.errors
    taken = saved(id_number=other.id_number)
    assert "id_number" in taken.context["adminform"].form.errors
    assert other.id_number not in taken.content.decode().replace(f'value="{other.id_number}"', "")
    assert (member.mobile, member.id_number) == ("13912345678", resident_id(1, region="320500"))
    # A new number replaces the old one.
    assert saved(mobile="13800001111").status_code == 302
    assert member.mobile == "13800001111"
    # A household's ID number, not known when it was registered, is filled in.
    home = household(tree["A01"])
    home.head_id_number = ""
    home.save()
    page = client.get(f"{HOUSEHOLDS}{home.pk}/change/")
    assert "尚未登记，可在此填写。" in page.content.decode()
    filled = client.post(
        f"{HOUSEHOLDS}{home.pk}/change/",
        {**change_form_data(page), **opened(home), "head_id_number": resident_id(3, region="320500")},
    )
    assert filled.status_code == 302
    home.refresh_from_db()
    assert home.head_id_number == resident_id(3, region="320500")
    assert home.contact == "13912345678"


def test_a_number_shown_masked_on_a_page_only_viewed_stays_read_only(cast, as_user, tree):
    from members.models import Member as Roster

    member = MemberFactory(organization=tree["A0101"], mobile="13912345678")
    secretary = cast["secretary_a"]
    secretary.user_permissions.remove(*secretary.user_permissions.filter(codename="change_member"))
    for group in secretary.groups.all():
        group.permissions.remove(*group.permissions.filter(codename="change_member"))
    viewer = type(secretary).objects.get(pk=secretary.pk)
    assert viewer.has_perm("members.view_member") and not viewer.has_perm("members.change_member")
    body = as_user(viewer).get(f"{MEMBERS}{member.pk}/change/").content.decode()
    assert "139****5678" in body and "13912345678" not in body
    assert 'name="mobile"' not in body
    assert Roster.objects.get(pk=member.pk).mobile == "13912345678"


def test_a_read_only_field_links_only_what_its_user_may_open(cast, as_user, tree):
    # A member who came from another town: the transfer row linked that town's branch, which led
    # the secretary to "记录不存在，或不在您的权限范围内".
    member = MemberFactory(organization=tree["A0101"])
    MemberTransfer.objects.create(
        member=member, from_organization=tree["B0101"], to_organization=tree["A0101"], transferred_on=date(YEAR, 1, 5)
    )
    page = as_user(cast["secretary_a"]).get(f"{MEMBERS}{member.pk}/change/").content.decode()
    assert f"/admin/branches/organization/{tree['A0101'].pk}/change/" in page
    assert str(tree["B0101"]) in page
    assert f"/admin/branches/organization/{tree['B0101'].pk}/change/" not in page
    staff = as_user(cast["staff"]).get(f"{MEMBERS}{member.pk}/change/").content.decode()
    assert f"/admin/branches/organization/{tree['B0101'].pk}/change/" in staff


def test_a_picker_tells_two_members_of_one_name_apart_by_their_branch(cast, as_user, tree):
    # Typing 王静 offered 王静, 王静: a pledge or a fulfilment could go to the wrong person.
    first = MemberFactory(name="王静", organization=tree["A0101"])
    second = MemberFactory(name="王静", organization=tree["A0102"])
    client = as_user(cast["secretary_a"])

    def offered(model_name, field_name):
        response = client.get(
            "/admin/autocomplete/",
            {"app_label": "members", "model_name": model_name, "field_name": field_name, "term": "王静"},
        )
        return sorted(result["text"] for result in response.json()["results"])

    assert offered("pledge", "member") == [f"王静（{tree['A0101']}）", f"王静（{tree['A0102']}）"]
    pledge = Pledge.objects.create(member=second, year=YEAR, pledged_on=date(YEAR, 1, 5))
    Pledge.objects.create(member=first, year=YEAR, pledged_on=date(YEAR, 1, 5))
    assert offered("fulfilment", "pledge") == [
        f"王静（{tree['A0101']}）{YEAR}年承诺",
        f"王静（{tree['A0102']}）{YEAR}年承诺",
    ]
    # The record's page names its choice the same way.
    page = client.get(f"/admin/members/pledge/{pledge.pk}/change/").content.decode()
    assert f'<option value="{second.pk}" selected>王静（{tree["A0102"]}）</option>' in page


def test_a_fulfilments_request_and_project_pickers_follow_the_talent_served(cast, as_user, tree):
    # They offered every talent's requests and projects in scope, and saving refused the others'.
    first, second = TalentFactory(organization=tree["A0101"]), TalentFactory(organization=tree["A0102"])
    SupportRequest.objects.create(talent=first, need="住房", raised_on=date(YEAR, 1, 5))
    SupportRequest.objects.create(talent=second, need="住房补贴", raised_on=date(YEAR, 1, 5))
    talent_project(tree["A01"], "住房一期").talents.add(first)
    talent_project(tree["A01"], "住房二期").talents.add(second)
    client = as_user(cast["secretary_a"])

    def offered(field, **forwarded):
        query = {"app_label": "members", "model_name": "fulfilment", "field_name": field, "term": "住房"}
        response = client.get("/admin/autocomplete/", {**query, **forwarded})
        assert response.status_code == 200
        return sorted(result["text"] for result in response.json()["results"])

    assert offered("support_request", talent=first.pk) == [f"{first}：住房"]
    assert offered("support_request") == [f"{first}：住房", f"{second}：住房补贴"]
    assert offered("support_request", talent="abc") == offered("support_request")
    assert offered("project", talent=second.pk) == ["住房二期"]
    # The pickers say what they follow, on the fulfilment's page and in a pledge's rows.
    for page in ("/admin/members/fulfilment/add/", f"/admin/members/pledge/{_pledge(tree).pk}/change/"):
        html = client.get(page).content.decode()
        assert html.count('data-forward="talent"') >= 2 and "xiangcheng/forward.js" in html


def _pledge(tree):
    return Pledge.objects.create(
        member=MemberFactory(organization=tree["A0101"]), year=YEAR, pledged_on=date(YEAR, 1, 5)
    )


def test_a_second_pledge_of_a_year_is_refused_beside_the_member(cast, as_user, tree):
    member = MemberFactory(organization=tree["A0101"])
    Pledge.objects.create(member=member, year=YEAR, pledged_on=date(YEAR, 1, 5))
    client = as_user(cast["secretary_a"])
    page = client.get("/admin/members/pledge/add/")
    data = {**change_form_data(page), "member": member.pk, "year": YEAR, "pledged_on": date(YEAR, 1, 6)}
    form = client.post("/admin/members/pledge/add/", data).context["adminform"].form
    assert form.errors["member"] == ["该党员本年度已有承诺。"]
    assert not form.non_field_errors()
    assert Pledge.objects.filter(member=member).count() == 1


@pytest.mark.parametrize(
    ("page", "field", "today_or_year"),
    [
        ("/admin/members/visit/add/", "visited_on", "today"),
        ("/admin/members/fulfilment/add/", "done_on", "today"),
        ("/admin/members/pledge/add/", "pledged_on", "today"),
        ("/admin/members/pledge/add/", "year", "year"),
        ("/admin/members/pairing/add/", "year", "year"),
        ("/admin/members/household/add/", "registered_on", "today"),
        ("/admin/branches/gridrole/add/", "started_on", "today"),
    ],
)
def test_what_is_logged_the_day_it_happens_starts_at_today(cast, as_user, page, field, today_or_year):
    # A visit's date started at today; a fulfilment's, a pledge's and its year, a household's and a
    # grid role's were empty, to be typed on a phone.
    expected = timezone.localdate() if today_or_year == "today" else timezone.localdate().year
    form = as_user(cast["secretary_a"]).get(page).context["adminform"].form
    assert form[field].value() == expected


def test_the_portal_addresses_its_user_one_way(cast, as_user, tree):
    # "您可以在下面继续编辑。" after adding, "你可以在下面再次编辑它。" after changing.
    member = MemberFactory(organization=tree["A0101"])
    client = as_user(cast["secretary_a"])
    url = f"{MEMBERS}{member.pk}/change/"
    page = client.get(url)
    response = client.post(url, {**change_form_data(page), **opened(member), "_continue": "1"}, follow=True)
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.endswith("您可以在下面继续编辑。") and "你" not in message


@pytest.mark.parametrize("posted", ["51", "99999999"])
def test_a_save_builds_a_few_new_inline_rows_at_most(cast, as_user, tree, posted):
    # A posted row count of 99999999 had Django build and show 2,000 rows: 16 seconds of a server.
    member = MemberFactory(organization=tree["A0101"])
    client = as_user(cast["secretary_a"])
    page = client.get("/admin/members/pledge/add/")
    data = {**change_form_data(page), "member": member.pk, "fulfilments-TOTAL_FORMS": posted}
    response = client.post("/admin/members/pledge/add/", data)
    (inline,) = response.context["inline_admin_formsets"]
    assert len(inline.formset.forms) == 50
    # Past Django's own bound its message says so first ("请最多提交 1000 个表单。").
    refused = "一次最多新增 50 行，请分几次保存。" if posted == "51" else "请最多提交 1000 个表单。"
    assert list(inline.formset.non_form_errors()) == [refused]
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("year", ["10000", "99999999999999999999"])
def test_a_pledge_year_past_any_calendar_is_refused_in_chinese(cast, as_user, tree, year):
    # The pledge's own rule read date(10000, 12, 31) and answered 500.
    member = MemberFactory(organization=tree["A0101"])
    client = as_user(cast["secretary_a"])
    data = {**change_form_data(client.get("/admin/members/pledge/add/")), "member": member.pk, "year": year}
    response = client.post("/admin/members/pledge/add/", data)
    assert response.status_code == 200
    assert "year" in response.context["adminform"].form.errors
    assert not Pledge.objects.exists()


def test_an_import_confirmed_twice_or_tampered_with_is_answered_in_chinese(cast, as_user, tree):
    # The confirm sent again (a double tap, the back button) answered 500, as did a confirm form
    # whose format or file was changed.
    from django.contrib.messages import get_messages

    client = as_user(cast["staff"])
    row = f"张三,{resident_id(1, region='320500')},A0101,2010-07-01,正式党员\n"
    preview = admin_upload(client, MEMBERS, (ROSTER_HEADER + row).encode())
    form = preview.context["confirm_form"]
    confirm = {name: form.initial[name] for name in form.fields if name in form.initial}
    assert client.post(f"{MEMBERS}process_import/", confirm).status_code == 302
    assert Member.objects.count() == 1

    def answer(**changed):
        response = client.post(f"{MEMBERS}process_import/", {**confirm, **changed})
        assert response.status_code == 302 and response["Location"] == f"{MEMBERS}import/"
        return [str(message) for message in get_messages(response.wsgi_request)][-1]

    assert answer() == "这个文件已经导入或已过期，无需再次确认；如需再导入，请重新上传。"
    for bad in ({"format": "abc"}, {"format": "7"}, {"resource": "5"}):
        assert answer(**bad) == "导入确认无效，请重新上传文件。"
    assert Member.objects.count() == 1


@pytest.mark.parametrize("key", ["abc", "1.5", "\x00", "9" * 20])
def test_a_bulk_action_on_rows_that_are_no_rows_changes_nothing(cast, as_user, tree, key):
    # Django filtered the list by the posted keys and answered 500 for one that was no key.
    pairing = Pairing.objects.create(
        member=MemberFactory(organization=tree["A0101"]), household=household(tree["A01"]), year=YEAR
    )
    Visit.objects.create(pairing=pairing, visited_on=date(YEAR, 3, 1), action="走访")
    response = as_user(cast["staff"]).post(VISITS, {"action": "delete_selected", "index": 0, "_selected_action": key})
    assert response.status_code in (200, 302)
    assert Visit.objects.count() == 1


def test_a_search_typed_with_a_nul_finds_without_it(cast, as_user, tree):
    MemberFactory(name="王静", organization=tree["A0101"])
    client = as_user(cast["secretary_a"])
    response = client.post(MEMBERS, {"_search": "1", "q": "王\x00静"}, follow=True)
    assert response.status_code == 200
    assert names(response) == {"王静"}


def test_a_deletion_of_more_rows_than_a_page_can_list_is_refused(cast, as_user, tree, monkeypatch):
    # Selecting all 25,000 members held a server for 109 seconds on the confirmation page.
    from xiangcheng import admin as portal_admin

    monkeypatch.setattr(portal_admin, "MOST_DELETED_AT_ONCE", 2)
    MemberFactory.create_batch(3, organization=tree["A0101"])
    client = as_user(cast["staff"])
    refused = client.post(
        MEMBERS, {"action": "delete_selected", "index": 0, "select_across": 1, "_selected_action": ""}, follow=True
    )
    assert "一次最多删除 2 条记录，请先筛选，再分批删除。" in refused.content.decode()
    assert Member.objects.count() == 3
    two = list(Member.objects.values_list("pk", flat=True)[:2])
    asked = client.post(MEMBERS, {"action": "delete_selected", "index": 0, "_selected_action": two})
    assert "确定" in asked.content.decode() and asked.status_code == 200


def test_a_long_text_shows_its_beginning_in_the_list_and_whole_on_its_page(cast, as_user, tree):
    # 20,000 characters pasted into a visit once made its row 26,000 pixels tall on a phone.
    pairing = Pairing.objects.create(
        member=MemberFactory(organization=tree["A0101"]), household=household(tree["A01"]), year=YEAR
    )
    text = "送药上门，" * 4000
    visit = Visit.objects.create(pairing=pairing, visited_on=date(YEAR, 3, 1), action=text)
    client = as_user(cast["secretary_a"])
    listed = client.get(VISITS).content.decode()
    assert '<td class="field-action">' + text[:120] + "…</td>" in listed
    assert text[:121] not in listed
    assert re.search(
        r'<th scope="col" class="sortable column-action">\s*<div class="text"><a href="\?o=[\d.-]+">帮扶内容</a>',
        listed,
    )
    assert text in client.get(f"{VISITS}{visit.pk}/change/").content.decode()


def test_completion_page_and_download(cast, as_user, tree):
    MemberFactory(name="甲书记", organization=tree["A0101"], party_post="secretary")
    MemberFactory(name="乙书记", organization=tree["B0101"], party_post="secretary")
    secretary = as_user(cast["secretary_a"])
    body = secretary.get(COMPLETION, {"year": YEAR}).content.decode()
    assert "甲书记" in body and "乙书记" not in body
    download = secretary.get(COMPLETION, {"year": YEAR, "download": "csv"})
    assert download.content.startswith(b"\xef\xbb\xbf")
    text = download.content.decode("utf-8-sig")
    assert "甲书记" in text and "乙" not in text
    assert as_user(cast["outsider"]).get(COMPLETION).status_code == 403


def test_secretary_needs_export_permission_for_nothing_more(cast, as_user, roster):
    grant(cast["secretary_a"], "members.delete_member")
    response = as_user(cast["secretary_a"]).post(f"{MEMBERS}{roster['b'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 404
    assert Member.objects.filter(pk=roster["b"].pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        f"{MEMBERS}?without_pledge=0",
        f"{MEMBERS}?without_pledge=²",
        f"{MEMBERS}?below_quota=99999",
        f"{MEMBERS}?org=%00",
        f"{HOUSEHOLDS}?unpaired=0",
        f"{HOUSEHOLDS}?unvisited=2026-9",
        f"{COMPLETION}?year=99999",
        f"{COMPLETION}?year=10000&download=csv",
        f"{COMPLETION}?organization=%00",
        f"{COMPLETION}?quarter=7",
        "/admin/branches/organization/?town=%00",
        "/admin/talent/talent/?year=²",
    ],
)
def test_odd_query_parameters_never_break_a_page(cast, as_user, roster, url):
    for who in ("staff", "secretary_a"):
        assert as_user(cast[who]).get(url).status_code in (200, 302), url


def test_list_filters_read_years_and_quarters_as_the_report_form_does():
    today = clock.TODAY
    assert [year_parameter(value) for value, _ in year_choices(today)] == [YEAR, YEAR - 1, YEAR - 2]
    assert all(quarter_parameter(value).label == label for value, label in quarter_choices(today))
    assert quarter_choices(today)[0] == (f"{YEAR}-4", f"{YEAR}年第四季度")
    # Outside the report form's years, or not a quarter: no filter, as for any odd parameter.
    for refused in ("1999", "2101", "²", "", None):
        assert year_parameter(refused) is None
    for refused in ("1-1", "1999-4", "2026-5", "2026-04", "2026", "2026-4-1", None):
        assert quarter_parameter(refused) is None


def test_a_transfer_date_before_the_last_transfer_or_joining_is_a_form_error(cast, as_user, roster, tree):
    from members.services import member_transfer

    member = roster["a"]
    member_transfer(member=member, to_organization=tree["A0102"], on=date(2026, 6, 1))
    form = move_form(member, tree["B0102"], transfers=1, joined_on="2010-07-01")
    client = as_user(cast["staff"])
    before_last = client.post(f"{MEMBERS}{member.pk}/change/", {**form, "transferred_on": "2026-05-01"})
    assert "转接日期不能早于上一次转接（2026-06-01）。" in before_last.content.decode()
    before_joining = client.post(
        f"{MEMBERS}{member.pk}/change/", {**form, "transferred_on": "2026-07-01", "joined_on": "2026-08-01"}
    )
    assert "转接日期不能早于入党日期。" in before_joining.content.decode()
    assert Member.objects.get(pk=member.pk).organization == tree["A0102"]


def test_roster_import_cannot_move_a_member_without_a_dated_transfer(cast, as_user, roster, tree):
    row = f"甲党员,{roster['a'].id_number},B0101,2010-07-01,正式党员\n"
    response = admin_upload(as_user(cast["staff"]), MEMBERS, (ROSTER_HEADER + row).encode())
    assert "导入不能更改已在册党员的所在党组织" in response.content.decode()
    assert Member.objects.get(pk=roster["a"].pk).organization == tree["A0101"]
    assert not MemberTransfer.objects.exists()


def test_a_quarter_of_visit_coverage_is_shown_as_chosen_and_a_malformed_one_is_refused(cast, as_user):
    """`visited=2026-04` once listed every pairing under 已走访; a past year's quarter, which its
    report links, filtered the list with nothing shown as chosen in the sidebar."""
    client = as_user(cast["staff"])
    for parameter in ("visit_due", "visited"):
        for bad in ("2026-04", "2026-0", "x@y", "99999-4", "1e3-1", "2026-4\x00"):
            response = client.get("/admin/members/pairing/", {parameter: bad})
            assert response.status_code == 302 and response.url.endswith("?e=1"), (parameter, bad)
        old = f"{timezone.localdate().year - 3}-2"
        response = client.get("/admin/members/pairing/", {parameter: old})
        assert response.status_code == 200
        chosen = [spec for spec in response.context["cl"].filter_specs if spec.parameter_name == parameter][0]
        assert chosen.value() == old
        assert f"{timezone.localdate().year - 3}年第二季度" in response.content.decode()


def test_a_list_opened_from_a_number_says_above_its_rows_what_it_is_narrowed_to(cast, as_user):
    # On a phone the sidebar that named the filters sat below a hundred rows.
    year = timezone.localdate().year
    query = {"not_visited": f"{year}-2", "org": "A@2026-06-30", "year__exact": str(year)}
    page = as_user(cast["staff"]).get("/admin/members/pairing/", query).content.decode()
    said = re.search(r'<p class="active-filters">(.*?)</p>', page)[1]
    assert said.index("筛选：") < said.index("所属组织（含下级）：甲街道党工委（按 2026-06-30 所在组织）")
    assert f"未走访（季度）：{year}年第二季度" in said and f"年度：{year}" in said
    assert page.index('class="active-filters"') < page.index('id="changelist-filter"')
    assert 'class="active-filters"' not in as_user(cast["staff"]).get("/admin/members/pairing/").content.decode()


def test_a_households_pairings_link_to_those_its_user_may_list_and_say_how_many_more(cast, as_user, tree):
    """A household of town A paired with a member of A and one of town B: its 本年结对党员 was 2
    for A's secretary, whose list of pairings holds one; now 1, linked to that one, and the other
    is said to lie outside their town. Staff see both, linked to both."""
    helped = household(tree["A01"], head="两人结对户")
    Pairing.objects.create(
        member=MemberFactory(name="本镇党员", organization=tree["A0101"]), household=helped, year=YEAR
    )
    Pairing.objects.create(
        member=MemberFactory(name="外镇党员", organization=tree["B0101"]), household=helped, year=YEAR
    )
    Pairing.objects.create(member=MemberFactory(organization=tree["A0101"]), household=helped, year=YEAR - 1)
    for user, shown, outside in [("secretary_a", 1, "（另有辖区外党员 1 名）"), ("staff", 2, "")]:
        client = as_user(cast[user])
        row = re.search(r'<td class="field-pairing_count">(.*?)</td>', client.get(HOUSEHOLDS).content.decode())[1]
        link = re.search(r'<a href="([^"]+)">(\d+)</a>(.*)', row)
        assert (int(link[2]), link[3]) == (shown, outside), row
        listed = client.get(link[1].replace("&amp;", "&"))
        assert listed.context["cl"].result_count == shown
        assert {pairing.household for pairing in listed.context["cl"].result_list} == {helped}
    # Paired only with a member of another town: no 0 to alarm a secretary, and nothing to open.
    Pairing.objects.filter(household=helped, member__name="本镇党员").delete()
    row = re.search(
        r'<td class="field-pairing_count">(.*?)</td>', as_user(cast["secretary_a"]).get(HOUSEHOLDS).content.decode()
    )[1]
    assert row == "辖区外党员 1 名"


def test_a_households_pairings_are_a_plain_number_for_a_user_who_may_not_list_pairings(cast, as_user, tree):
    """A user who may view households but not pairings read every pairing as "辖区外党员", or got
    a link to a list they may not open; they get the year's number, unlinked."""
    from django.contrib.auth.models import Permission

    from branches.models import AccountScope
    from tests.factories import UserFactory

    helped = household(tree["A01"], head="两人结对户")
    for code in ("A0101", "B0101"):
        Pairing.objects.create(member=MemberFactory(organization=tree[code]), household=helped, year=YEAR)
    district = UserFactory(username="households_only")
    town = UserFactory(username="town_households_only")
    AccountScope.objects.create(user=town, organization=tree["A"])
    grant(district, "branches.view_all_organizations")
    view = Permission.objects.get(content_type__app_label="members", codename="view_household")
    for user in (district, town):
        user.user_permissions.add(view)
        page = as_user(user).get(HOUSEHOLDS).content.decode()
        assert re.search(r'<td class="field-pairing_count">(.*?)</td>', page)[1] == "2", user
        assert "/admin/members/pairing/" not in page


def test_a_pledges_page_lists_its_latest_fulfilments_and_its_form_only_adds_new_ones(cast, as_user, tree):
    """A pledge's fulfilments were each an editable card on its page: 30 made it 7,200 px long on a
    phone. Now its ten latest are a line each, linking to their own page, with the list of all."""
    pledge = Pledge.objects.create(
        member=MemberFactory(organization=tree["A0101"]), year=YEAR, pledged_on=date(YEAR, 1, 5)
    )
    made = [
        Fulfilment.objects.create(
            pledge=pledge, kind="enterprise_need", done_on=date(YEAR, 1, 6 + n), enterprise=f"企业{n}", action="走访"
        )
        for n in range(12)
    ]
    client = as_user(cast["secretary_a"])
    page = client.get(f"/admin/members/pledge/{pledge.pk}/change/")
    body = page.content.decode()
    assert "已记录的履诺（12 条）" in body
    lines = re.findall(r'<li><a href="/admin/members/fulfilment/(\d+)/change/">([^<]*)</a>', body)
    assert [int(pk) for pk, _ in lines] == [f.pk for f in reversed(made[2:])]
    assert lines[0][1] == f"{date(YEAR, 1, 17):%Y-%m-%d} 发现企业需求 · 企业11"
    (inline,) = page.context["inline_admin_formsets"]
    assert inline.formset.initial_form_count() == 0
    everything = re.search(r'<a href="([^"]+)">在列表中查看全部 12 条</a>', body)[1].replace("&amp;", "&")
    assert client.get(everything).context["cl"].result_count == 12
    # A new one is still recorded from the pledge's page, and the recorded ones are kept.
    data = {
        **change_form_data(page),
        **opened(pledge),
        "fulfilments-TOTAL_FORMS": "1",
        "fulfilments-0-kind": "enterprise_need",
        "fulfilments-0-done_on": f"{date(YEAR, 1, 20):%Y-%m-%d}",
        "fulfilments-0-enterprise": "新企业",
        "fulfilments-0-action": "座谈",
    }
    response = client.post(f"/admin/members/pledge/{pledge.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()
    assert pledge.fulfilments.count() == 13


def test_a_pledge_page_opened_before_fulfilments_left_its_form_is_refused_not_half_saved(cast, as_user, tree):
    """A page opened when recorded fulfilments were rows of the form posts them (INITIAL_FORMS 1):
    their changes would be dropped without a word under 成功修改."""
    pledge = Pledge.objects.create(
        member=MemberFactory(organization=tree["A0101"]), year=YEAR, pledged_on=date(YEAR, 1, 5)
    )
    recorded = Fulfilment.objects.create(
        pledge=pledge, kind="enterprise_need", done_on=date(YEAR, 1, 6), enterprise="企业", action="走访"
    )
    client = as_user(cast["secretary_a"])
    url = f"/admin/members/pledge/{pledge.pk}/change/"
    page = client.get(url)
    stale = {
        **change_form_data(page),
        **opened(pledge),
        "fulfilments-TOTAL_FORMS": "1",
        "fulfilments-INITIAL_FORMS": "1",
        "fulfilments-0-id": str(recorded.pk),
        "fulfilments-0-pledge": str(pledge.pk),
        "fulfilments-0-kind": "enterprise_need",
        "fulfilments-0-done_on": f"{date(YEAR, 1, 6):%Y-%m-%d}",
        "fulfilments-0-enterprise": "企业",
        "fulfilments-0-action": "改过的内容",
    }
    response = client.post(url, stale)
    assert response.status_code == 200
    assert "页面已过期：履诺记录现在在各自的页面修改。请刷新本页后重新填写。" in response.content.decode()
    recorded.refresh_from_db()
    assert recorded.action == "走访"


def test_a_reader_of_a_pledge_sees_its_fulfilments_and_no_form_to_add_one(cast, as_user, tree):
    from branches.models import AccountScope
    from tests.factories import UserFactory

    reader = UserFactory(username="reader")
    AccountScope.objects.create(user=reader, organization=tree["A"])
    grant(reader, "members.view_pledge", "members.view_fulfilment", "members.view_member")
    pledge = Pledge.objects.create(
        member=MemberFactory(organization=tree["A0101"]), year=YEAR, pledged_on=date(YEAR, 1, 5)
    )
    Fulfilment.objects.create(
        pledge=pledge, kind="enterprise_need", done_on=date(YEAR, 1, 6), enterprise="企业", action="走访"
    )
    page = as_user(reader).get(f"/admin/members/pledge/{pledge.pk}/change/")
    body = page.content.decode()
    assert "已记录的履诺（1 条）" in body
    assert "记录新的履诺" not in body and page.context["inline_admin_formsets"] == []
