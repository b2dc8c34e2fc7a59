"""Finding people by name, pinyin or initials (xiangcheng/people.py `person_search`): in every
person list, in the lists that name a person over a relation, and in the autocompletes; scoped
like the lists; the stored pinyin kept up to date on save, on an edit and on an import."""

from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.models import Instructor, SocialWorker
from cadres.models import Cadre
from members.models import Fulfilment, Household, Member, Pairing, Pledge, Visit
from talent.models import Talent
from tests.conftest import admin_confirm, admin_upload
from tests.factories import (
    CadreFactory,
    InstructorFactory,
    MemberFactory,
    SocialWorkerFactory,
    TalentFactory,
    resident_id,
)
from xiangcheng.people import backfill_name_pinyin, name_pinyin, person_search

MEMBERS = "/admin/members/member/"


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("吕梁", "lvliang", "ll"),
        ("单田芳", "shantianfang", "stf"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解缙", "xiejin", "xj"),
        ("仇英", "qiuying", "qy"),
        ("朴正", "piaozheng", "pz"),
        ("区永", "ouyong", "oy"),
        ("查良镛", "zhaliangyong", "zly"),
        ("乐嘉", "yuejia", "yj"),
        # Read as a surname only at the head: in a given name 乐 and 单 keep their usual readings.
        ("张乐", "zhangle", "zl"),
        ("李单", "lidan", "ld"),
        ("万俟卨", "moqixie", "mqx"),
        ("John Smith", "johnsmith", "js"),
    ],
)
def test_a_name_is_read_with_its_surname_reading(name, pinyin, initials):
    assert name_pinyin(name) == (pinyin, initials)


def test_a_term_that_is_no_name_is_left_to_the_other_search_fields():
    assert person_search("320506198001010011") is None
    assert person_search("   ") is None


def names_found(term, queryset=None) -> set[str]:
    queryset = Member.objects.all() if queryset is None else queryset
    return set(queryset.filter(person_search(term)).values_list("name", flat=True))


@pytest.fixture
def roster(tree):
    for name in ["张三", "张三丰", "李四", "吕梁", "陆明", "单田芳", "丹青", "曾国藩"]:
        MemberFactory(name=name, organization=tree["A0101"])


@pytest.mark.parametrize("term", ["张三", "zhangsan", "zhang san", "Zhang San", "zs", "ZS", " z s "])
def test_zhang_san_is_found_by_characters_pinyin_and_initials(roster, term):
    assert names_found(term) == {"张三", "张三丰"}


def test_a_longer_term_narrows_and_a_given_name_alone_finds_by_characters(roster):
    assert names_found("zhangsanf") == names_found("zsf") == {"张三丰"}
    assert names_found("三丰") == {"张三丰"}
    assert names_found("王") == set()


@pytest.mark.parametrize("term", ["lv", "lü", "LÜ", "lu:", "lvl", "ll"])
def test_lv_is_found_as_lv_and_lu_finds_lu_only(roster, term):
    assert names_found(term) == {"吕梁"}


def test_lu_finds_lu_not_lv(roster):
    assert names_found("lu") == {"陆明"}


def test_polyphonic_surnames_are_found_by_their_surname_reading(roster):
    assert names_found("shan") == {"单田芳"}
    assert names_found("dan") == {"丹青"}
    assert names_found("zeng") == {"曾国藩"}
    assert names_found("ceng") == set()


PERSON_LISTS = [
    ("/admin/members/member/", lambda tree, name: MemberFactory(name=name, organization=tree["A0101"])),
    ("/admin/cadres/cadre/", lambda tree, name: CadreFactory(name=name, organization=tree["A0101"])),
    ("/admin/talent/talent/", lambda tree, name: TalentFactory(name=name, organization=tree["A0101"])),
    ("/admin/branches/instructor/", lambda tree, name: InstructorFactory(name=name)),
    ("/admin/branches/socialworker/", lambda tree, name: SocialWorkerFactory(name=name, organization=tree["A"])),
]


def listed(response) -> set[str]:
    return {obj.name for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(("url", "make"), PERSON_LISTS)
def test_every_person_list_finds_by_pinyin_and_initials(cast, as_user, tree, url, make):
    make(tree, "张三")
    make(tree, "曾五")
    client = as_user(cast["staff"])
    for term in ["张三", "zhangsan", "zhang san", "zs"]:
        assert listed(client.get(url, {"q": term})) == {"张三"}, term
    assert listed(client.get(url, {"q": "zeng"})) == {"曾五"}
    assert listed(client.get(url, {"q": "ceng"})) == set()


def test_a_search_posted_into_the_session_finds_by_pinyin_too(cast, as_user, tree):
    MemberFactory(name="张三", organization=tree["A0101"])
    MemberFactory(name="李四", organization=tree["A0101"])
    client = as_user(cast["staff"])
    response = client.post(MEMBERS, {"_search": "1", "q": "zhang san"}, follow=True)
    assert listed(response) == {"张三"}


def test_a_secretary_finds_by_pinyin_only_within_their_subtree(cast, as_user, tree):
    MemberFactory(name="张三", organization=tree["A0101"])
    MemberFactory(name="张山", organization=tree["B0101"])
    secretary = as_user(cast["secretary_a"])
    assert listed(secretary.get(MEMBERS, {"q": "zs"})) == {"张三"}
    assert listed(secretary.get(MEMBERS, {"q": "zhangshan"})) == set()
    params = {"app_label": "members", "model_name": "pledge", "field_name": "member", "term": "zs"}
    found = secretary.get("/admin/autocomplete/", params).json()["results"]
    assert [item["text"] for item in found] == [f"张三（{tree['A0101']}）"]


def test_the_id_number_is_still_searched_exactly(cast, as_user, tree):
    member = MemberFactory(name="张三", organization=tree["A0101"])
    MemberFactory(name="李四", organization=tree["A0101"])
    assert listed(as_user(cast["staff"]).get(MEMBERS, {"q": member.id_number})) == {"张三"}


def test_other_search_fields_still_find_beside_the_name(cast, as_user, tree):
    CadreFactory(name="张三", unit="区委组织部", organization=tree["A0101"])
    CadreFactory(name="李四", unit="张家港办事处", organization=tree["A0101"])
    found = listed(as_user(cast["staff"]).get("/admin/cadres/cadre/", {"q": "张"}))
    assert found == {"张三", "李四"}


def test_a_foreign_name_is_found_by_any_of_its_words(cast, as_user, tree):
    TalentFactory(name="John Smith", organization=tree["A0101"], region="英国", is_overseas=True)
    TalentFactory(name="张三", organization=tree["A0101"])
    client = as_user(cast["staff"])
    for term in ["smith", "John Smith", "JS", "john"]:
        assert listed(client.get("/admin/talent/talent/", {"q": term})) == {"John Smith"}, term
    assert listed(client.get("/admin/talent/talent/", {"q": "zs"})) == {"张三"}


AUTOCOMPLETES = [
    ("members", "pledge", "member", lambda tree, name: MemberFactory(name=name, organization=tree["A0101"])),
    ("members", "fulfilment", "talent", lambda tree, name: TalentFactory(name=name, organization=tree["A0101"])),
    ("cadres", "rankchange", "cadre", lambda tree, name: CadreFactory(name=name, organization=tree["A0101"])),
    ("branches", "instructorassignment", "instructor", lambda tree, name: InstructorFactory(name=name)),
    (
        "branches",
        "gridrole",
        "social_worker",
        lambda tree, name: SocialWorkerFactory(name=name, organization=tree["A"]),
    ),
]


@pytest.mark.parametrize(("app_label", "model_name", "field_name", "make"), AUTOCOMPLETES)
def test_every_person_autocomplete_finds_by_initials(cast, as_user, tree, app_label, model_name, field_name, make):
    wanted = make(tree, "单田芳")
    make(tree, "李四")
    params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
    client = as_user(cast["staff"])
    for term in ["stf", "shan", "单田"]:
        found = client.get("/admin/autocomplete/", {**params, "term": term}).json()["results"]
        assert [item["id"] for item in found] == [str(wanted.pk)], term


def test_lists_naming_a_member_find_by_the_members_pinyin(cast, as_user, tree):
    zhang = MemberFactory(name="张三", organization=tree["A0101"])
    li = MemberFactory(name="李四", organization=tree["A0101"])
    for member in (zhang, li):
        Pledge.objects.create(member=member, year=2026, pledged_on=date(2026, 5, 17))
    response = as_user(cast["staff"]).get("/admin/members/pledge/", {"q": "zs"})
    assert [pledge.member for pledge in response.context["cl"].result_list] == [zhang]


def test_fulfilments_are_found_by_the_members_pinyin_the_enterprise_or_what_was_done(cast, as_user, tree):
    zhang = Pledge.objects.create(
        member=MemberFactory(name="张三", organization=tree["A0101"]), year=2026, pledged_on=date(2026, 5, 17)
    )
    li = Pledge.objects.create(
        member=MemberFactory(name="李四", organization=tree["B0101"]), year=2026, pledged_on=date(2026, 5, 17)
    )
    by_zhang = Fulfilment.objects.create(pledge=zhang, kind="enterprise_need", done_on=date(2026, 6, 1), action="走访")
    at_huawei = Fulfilment.objects.create(
        pledge=li, kind="enterprise_need", done_on=date(2026, 6, 2), enterprise="华为苏州研究所", action="Zoom 会议"
    )

    def found(user, term):
        response = as_user(cast[user]).get("/admin/members/fulfilment/", {"q": term})
        return {fulfilment.pk for fulfilment in response.context["cl"].result_list}

    assert found("staff", "zs") == found("staff", "张三") == {by_zhang.pk}
    assert found("staff", "华为") == found("staff", "苏州 华为") == {at_huawei.pk}
    assert found("staff", "zoom") == {at_huawei.pk}
    assert found("staff", "走访") == {by_zhang.pk}
    assert found("secretary_a", "华为") == set()


def test_visits_are_found_by_the_members_pinyin_or_the_household_head(cast, as_user, tree):
    household = Household.objects.create(
        head="吕大",
        address="一组1号",
        organization=tree["A01"],
        village="村",
        hardship="illness",
        registered_on=date(2025, 6, 1),
        contact="13912345678",
    )
    pairing = Pairing.objects.create(
        member=MemberFactory(name="张三", organization=tree["A0101"]), household=household, year=2026
    )
    visit = Visit.objects.create(pairing=pairing, visited_on=date(2026, 6, 1), action="送药")
    client = as_user(cast["staff"])
    for term in ["zs", "吕大", "送药"]:
        response = client.get("/admin/members/visit/", {"q": term})
        assert list(response.context["cl"].result_list) == [visit], term
    assert list(client.get("/admin/members/visit/", {"q": "ls"}).context["cl"].result_list) == []


def test_a_search_reads_its_rows_in_one_query(cast, rf, tree):
    from django.contrib import admin

    for n in range(5):
        MemberFactory(name=f"张{n}", organization=tree["A0101"])
    request = rf.get(MEMBERS)
    request.user = cast["secretary_a"]
    request.session = {}
    model_admin = admin.site._registry[Member]
    for term in ["zs", "张", "zhang"]:
        queryset, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), term)
        with CaptureQueriesContext(connection) as queries:
            names = [member.name for member in queryset]
        assert len(queries) == 1, term
        assert len(names) == 5 if term != "zs" else names == []


def test_a_secretarys_search_looks_up_the_people_of_their_subtree_only(cast, rf, tree):
    """People matched along the list's scope path (a fulfilment's member) are looked up within
    the user's subtrees, so a secretary's search reads their town's 张三s, not the district's;
    people matched off that path (a talent given as evidence) are looked up everywhere."""
    from django.contrib import admin

    fulfilments = {}
    for code in ("A0101", "B0101"):
        pledge = Pledge.objects.create(
            member=MemberFactory(name="张三", organization=tree[code]), year=2026, pledged_on=date(2026, 5, 17)
        )
        fulfilments[code] = Fulfilment.objects.create(pledge=pledge, kind="talent_contact", done_on=date(2026, 6, 1))
    helped = TalentFactory(name="张三", organization=tree["B0101"])
    pledge = Pledge.objects.create(
        member=MemberFactory(name="王五", organization=tree["A0102"]), year=2026, pledged_on=date(2026, 5, 17)
    )
    by_talent = Fulfilment.objects.create(pledge=pledge, kind="talent_contact", done_on=date(2026, 6, 2), talent=helped)
    model_admin = admin.site._registry[Fulfilment]
    for who, found, path_conditions in [
        ("secretary_a", {fulfilments["A0101"].pk, by_talent.pk}, 2),  # the list's scope, its members'
        ("staff", {*(f.pk for f in fulfilments.values()), by_talent.pk}, 0),
    ]:
        request = rf.get("/admin/members/fulfilment/")
        request.user, request.session = cast[who], {}
        queryset, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), "张三")
        assert {fulfilment.pk for fulfilment in queryset} == found
        assert str(queryset.query).count("<@") == path_conditions
        # The people's keys are checked before the texts are split, row by row.
        where = str(queryset.query).partition(" WHERE ")[2]
        assert where.index('"pledge_id" = ANY') < where.index('UPPER("members_fulfilment"."enterprise")')


def test_a_searched_list_costs_the_same_queries_for_2_rows_as_for_6_and_no_more_than_unsearched(cast, as_user, tree):
    client = as_user(cast["staff"])

    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MEMBERS, params).status_code == 200
        return len(captured)

    for n in range(2):
        MemberFactory(name=f"张{n}", organization=tree["A0101"])
    # The first request of each page reads what later ones find cached (session, snapshots).
    queries({"q": "zhang"})
    queries({})
    few, unsearched = queries({"q": "zhang"}), queries({})
    for n in range(2, 6):
        MemberFactory(name=f"张{n}", organization=tree["A0101"])
    # The unsearched roster adds the estimate of its size (xiangcheng/paginator.py).
    assert queries({"q": "zhang"}) == few <= unsearched


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Member, lambda tree: MemberFactory(name="张三", organization=tree["A0101"])),
        (Cadre, lambda tree: CadreFactory(name="张三", organization=tree["A0101"])),
        (Talent, lambda tree: TalentFactory(name="张三", organization=tree["A0101"])),
        (Instructor, lambda tree: InstructorFactory(name="张三")),
        (SocialWorker, lambda tree: SocialWorkerFactory(name="张三", organization=tree["A"])),
    ],
)
def test_pinyin_follows_the_name_on_save(tree, model, make):
    person = make(tree)
    assert model.objects.filter(pk=person.pk, name_pinyin="zhangsan", name_initials="zs").exists()
    person.name = "曾四"
    person.save(update_fields=["name"])
    assert model.objects.filter(pk=person.pk, name_pinyin="zengsi", name_initials="zs").exists()


def test_the_longest_name_has_room_for_its_pinyin(tree):
    member = MemberFactory(name="庄" * 50, organization=tree["A0101"])
    member.refresh_from_db()
    assert member.name_pinyin == "zhuang" * 50


def test_pinyin_follows_an_edit_of_the_name_in_the_form(cast, as_user, tree):
    from tests.conftest import change_form_data

    member = MemberFactory(name="张三", organization=tree["A0101"])
    client = as_user(cast["staff"])
    form = change_form_data(client.get(f"{MEMBERS}{member.pk}/change/"))
    response = client.post(f"{MEMBERS}{member.pk}/change/", {**form, "name": "吕四"})
    assert response.status_code == 302, response.content.decode()
    member.refresh_from_db()
    assert (member.name_pinyin, member.name_initials) == ("lvsi", "ls")
    assert listed(client.get(MEMBERS, {"q": "lv"})) == {"吕四"}


def test_pinyin_is_written_by_an_import_of_new_and_of_renamed_people(cast, as_user, tree):
    renamed = MemberFactory(name="张三", organization=tree["A0101"])
    header = "姓名,身份证号,所在党组织,入党日期,党员类别\n"
    rows = (
        f"单田芳,{resident_id(901, region='320500')},A0101,2010-07-01,正式党员\n"
        f"曾国藩,{renamed.id_number},A0101,{renamed.joined_on},正式党员\n"
    )
    client = as_user(cast["staff"])
    admin_confirm(client, MEMBERS, admin_upload(client, MEMBERS, (header + rows).encode()))
    assert Member.objects.get(name="单田芳").name_pinyin == "shantianfang"
    renamed.refresh_from_db()
    assert (renamed.name, renamed.name_pinyin, renamed.name_initials) == ("曾国藩", "zengguofan", "zgf")


def test_the_migration_fills_the_columns_of_existing_rows(tree):
    MemberFactory(name="张三", organization=tree["A0101"])
    MemberFactory(name="吕梁", organization=tree["A0101"])
    Member.objects.update(name_pinyin="", name_initials="")
    with connection.schema_editor() as schema_editor:
        backfill_name_pinyin("members", "member")(django_apps, schema_editor)
    assert set(Member.objects.values_list("name_pinyin", "name_initials")) == {("zhangsan", "zs"), ("lvliang", "ll")}
