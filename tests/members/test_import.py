"""The roster import in sets: a fixed number of queries however many rows, ID numbers checked
against the whole roll, all or nothing, and unchanged rows left alone."""

import pytest
from django.apps import apps

from members.models import Member
from members.resources import MemberResource
from tests.conftest import admin_confirm, admin_upload
from tests.factories import MemberFactory, resident_id
from xiangcheng.audit import history_of
from xiangcheng.maintenance import analyze

MEMBERS = "/admin/members/member/"
HEADER = "姓名,身份证号,所在党组织,入党日期,党员类别\n"
ON_THE_ROLL = "该身份证号的党员已在册，不能重复登记。"


def number(serial: int) -> str:
    return resident_id(serial, birth="19900101", region="320500")


def roster(rows: int) -> bytes:
    """`rows` new members, spread over the two branches of town A."""
    lines = "".join(f"新党员{n},{number(n)},A010{1 + n % 2},2015-07-01,正式党员\n" for n in range(rows))
    return (HEADER + lines).encode()


def member_events() -> int:
    return apps.get_model("members", "MemberEvent").objects.count()


@pytest.mark.parametrize("rows", [50, 200])
def test_preview_costs_the_same_queries_for_50_rows_as_for_200(cast, as_user, tree, rows, django_assert_num_queries):
    client = as_user(cast["secretary_a"])
    # Session, user and permissions; the upload kept for the confirm step; the ID numbers on the
    # roll, the user's scope, the organizations named and the members to update, once each; the
    # trial insert; the savepoints around them; the table's audit version for the confirm step;
    # the header's unread messages.
    with django_assert_num_queries(31):
        preview = admin_upload(client, MEMBERS, roster(rows))
    assert preview.context["result"].totals["new"] == rows
    assert not Member.objects.exists()


def test_id_number_of_a_member_outside_the_scope_is_refused_as_on_the_roll(cast, as_user, tree):
    # A final "X" written in lower case is the same number once Member.clean normalizes it.
    serial = next(n for n in range(100) if number(n).endswith("X"))
    theirs = MemberFactory(name="乙镇党员", organization=tree["B0101"], id_number=number(serial))
    row = f"张三,{number(serial).lower()},A0101,2015-07-01,正式党员\n"
    body = admin_upload(as_user(cast["secretary_a"]), MEMBERS, (HEADER + row).encode()).content.decode()
    assert f"<td>第 1 条数据</td><td>身份证号</td><td>{ON_THE_ROLL}</td>" in body
    assert list(Member.objects.values_list("pk", "name", "organization")) == [(theirs.pk, "乙镇党员", tree["B0101"].pk)]


def test_a_row_refused_at_confirm_writes_nothing_though_earlier_batches_were_inserted(cast, as_user, tree, monkeypatch):
    monkeypatch.setattr(MemberResource._meta, "batch_size", 50)
    client = as_user(cast["secretary_a"])
    preview = admin_upload(client, MEMBERS, roster(200))
    assert preview.context["confirm_form"] is not None
    # Between preview and confirm, the person on row 150 is registered in town B.
    MemberFactory(organization=tree["B0101"], id_number=number(149))
    events = member_events()
    response = admin_confirm(client, MEMBERS, preview)
    assert response.status_code == 302
    assert "导入未完成" in client.get(response.url).content.decode()
    assert Member.objects.count() == 1
    assert member_events() == events


def test_preview_names_the_refused_row_after_a_batch(cast, as_user, tree, monkeypatch):
    monkeypatch.setattr(MemberResource._meta, "batch_size", 50)
    MemberFactory(organization=tree["B0101"], id_number=number(149))
    body = admin_upload(as_user(cast["secretary_a"]), MEMBERS, roster(200)).content.decode()
    assert f"<td>第 150 条数据</td><td>身份证号</td><td>{ON_THE_ROLL}</td>" in body
    assert body.count("条数据</td>") == 1
    assert Member.objects.count() == 1


def test_unchanged_rows_are_skipped_and_written_rows_audited_with_user_and_file(cast, as_user, tree):
    kept = MemberFactory(name="原样党员", organization=tree["A0101"], id_number=number(1), joined_on="2015-07-01")
    renamed = MemberFactory(name="旧名", organization=tree["A0101"], id_number=number(2), joined_on="2015-07-01")
    rows = (
        f"原样党员,{number(1)},A0101,2015-07-01,正式党员\n"
        f"新名,{number(2)},A0101,2015-07-01,正式党员\n"
        f"新党员,{number(3)},A0102,2015-07-01,正式党员\n"
    )
    client = as_user(cast["secretary_a"])
    preview = admin_upload(client, MEMBERS, (HEADER + rows).encode(), name="名册.csv")
    assert preview.context["result"].totals == {"new": 1, "update": 1, "delete": 0, "skip": 1, "error": 0, "invalid": 0}
    admin_confirm(client, MEMBERS, preview)
    assert len(history_of(kept)) == 1  # its insert only
    assert Member.objects.get(pk=renamed.pk).name == "新名"
    created = Member.objects.get(id_number=number(3))
    for member, label in [(renamed, "修改"), (created, "新增")]:
        event = history_of(member)[0]
        assert (event["label"], event["user"], event["import_file"]) == (label, cast["secretary_a"], "名册.csv")


def test_a_large_import_leaves_the_planner_knowing_the_rows_a_preview_does_not(cast, as_user, tree, monkeypatch):
    from django.db import connection

    from xiangcheng import imex

    def planner_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'members_member'::regclass")
            return cursor.fetchone()[0]

    # The planner's row count outlives rollbacks: start it from the empty table.
    analyze(Member)
    # Thirty rows stand in for a large file.
    monkeypatch.setattr(imex, "ANALYZE_AFTER_ROWS", 30)
    client = as_user(cast["secretary_a"])
    preview = admin_upload(client, MEMBERS, roster(30))
    assert planner_rows() == 0  # the preview's trial insert was rolled back, statistics untouched
    admin_confirm(client, MEMBERS, preview)
    assert Member.objects.count() == planner_rows() == 30


@pytest.mark.parametrize(
    "typed",
    ["A0102", "甲街道党工委第2党支部", "第2党支部"],
    ids=["code", "full name", "end of the name"],
)
def test_a_roster_names_its_organization_by_code_full_name_or_an_unambiguous_end(cast, as_user, tree, typed):
    """Secretary A's scope holds one "第2党支部" (town B's is outside it)."""
    client = as_user(cast["secretary_a"])
    preview = admin_upload(client, MEMBERS, (HEADER + f"张三,{number(1)},{typed},2015-07-01,正式党员\n").encode())
    assert preview.context["confirm_form"] is not None, preview.content.decode()[:2000]
    admin_confirm(client, MEMBERS, preview)
    assert Member.objects.get().organization == tree["A0102"]


def test_an_organization_name_that_fits_several_is_refused_with_the_candidates(cast, as_user, tree):
    client = as_user(cast["secretary_a"])
    body = admin_upload(client, MEMBERS, (HEADER + f"张三,{number(1)},党支部,2015-07-01,正式党员\n").encode())
    text = body.content.decode()
    candidates = "甲街道党工委第1党支部、甲街道党工委第2党支部"
    assert f"党组织“党支部”不唯一，可能是：{candidates}。请填写党组织代码或全称。" in text
    assert "乙镇" not in text  # names outside the scope are not offered
    assert not Member.objects.exists()


def test_an_organization_outside_the_scope_is_not_found_by_its_name_either(cast, as_user, tree):
    row = f"张三,{number(1)},乙镇党委第1党支部,2015-07-01,正式党员\n"
    body = admin_upload(as_user(cast["secretary_a"]), MEMBERS, (HEADER + row).encode()).content.decode()
    assert "找不到党组织“乙镇党委第1党支部”，或不在您的权限范围内" in body


def test_the_import_page_says_which_columns_are_needed_and_that_names_do(cast, as_user, tree):
    page = as_user(cast["secretary_a"]).get(f"{MEMBERS}import/").content.decode()
    assert "必填列：姓名、身份证号、所在党组织。" in page
    assert "“所在党组织”可填党组织代码、全称" in page
