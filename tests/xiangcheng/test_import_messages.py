"""What an import tells its user about a file it refuses: the row of the file and the column, in
Chinese, never a Python traceback or a message about the import's own inner workings."""

import csv
import io

import openpyxl
import pytest
from django.db import models

from branches.models import ActionBranch, CommitteeTerm, Organization
from branches.resources import OrganizationResource
from cadres.models import AnnualEvaluation, Cadre
from members.models import Member, Venue
from tests.conftest import admin_upload
from tests.factories import ActionBranchFactory, CadreFactory, MemberFactory, resident_id
from xiangcheng.imex import IntegerWidget, ScopedResource

VENUES = "/admin/members/venue/"
BRANCHES = "/admin/branches/actionbranch/"
TERMS = "/admin/branches/committeeterm/"
EVALUATIONS = "/admin/cadres/annualevaluation/"
CADRES = "/admin/cadres/cadre/"
MEMBERS = "/admin/members/member/"
ORGS = "/admin/branches/organization/"


def exported_rows(client, changelist: str, query: str = "") -> list[list[str]]:
    response = client.post(f"{changelist}export/{query}", {"format": "0", "resource": "0"})
    return list(csv.reader(io.StringIO(b"".join(response).decode("utf-8-sig"))))


def as_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def error(row: int, column: str, message: str) -> str:
    """An error as the import page's table shows it."""
    return f"<td>第 {row} 条数据</td><td>{column}</td><td>{message}"


@pytest.fixture
def venues(tree):
    return [
        Venue.objects.create(
            organization=tree["A0101"],
            name=f"第{n}党群服务点",
            kind="point",
            address="甲街道",
            area=50,
            opening_hours="全天",
        )
        for n in range(1, 6)
    ]


def test_an_organization_not_found_names_the_row_of_the_file_though_earlier_rows_are_unchanged(cast, as_user, venues):
    client = as_user(cast["staff"])
    rows = exported_rows(client, VENUES, "?org=A")
    rows[5][rows[0].index("所属党组织")] = "NOPE"
    body = admin_upload(client, VENUES, as_csv(rows)).content.decode()
    assert error(5, "所属党组织", "找不到党组织“NOPE”，或不在您的权限范围内。") in body
    assert "行号" not in body


def test_a_member_not_found_in_a_list_of_members_names_its_row_and_column(cast, as_user, tree):
    member = MemberFactory(organization=tree["A0101"])
    for n in range(3):
        ActionBranchFactory(name=f"行动支部{n}", organization=tree["A01"]).members.set([member])
    client = as_user(cast["staff"])
    rows = exported_rows(client, BRANCHES)
    stranger = resident_id(999, region="320500")
    rows[3][rows[0].index("成员")] += f",{stranger}"
    body = admin_upload(client, BRANCHES, as_csv(rows)).content.decode()
    assert error(3, "成员", f"找不到党员“{stranger}”，或不在您的权限范围内。") in body
    assert all(list(branch.members.all()) == [member] for branch in ActionBranch.objects.all())


def test_a_cadre_not_found_and_a_year_in_words_name_their_rows_and_columns(cast, as_user, tree):
    cadre = CadreFactory(organization=tree["district"])
    AnnualEvaluation.objects.create(cadre=cadre, year=2024, grade="excellent")
    unknown = resident_id(998, region="320500")
    content = (
        f"干部身份证号,年度,考核结果\n{cadre.id_number},2024,优秀\n{unknown},2025,优秀\n{cadre.id_number},二〇二五,优秀\n"
    ).encode()
    body = admin_upload(as_user(cast["staff"]), EVALUATIONS, content).content.decode()
    assert error(2, "干部身份证号", f"找不到干部“{unknown}”，或不在您的权限范围内。") in body
    assert error(3, "年度", "“二〇二五”不是有效数字。") in body
    assert AnnualEvaluation.objects.count() == 1


def test_a_term_in_words_is_refused_in_chinese(cast, as_user, tree):
    content = "党组织,选举日期,任期（年）,备注\nA01,2023-08-28,abc,\n".encode()
    body = admin_upload(as_user(cast["staff"]), TERMS, content).content.decode()
    assert error(1, "任期（年）", "“abc”不是有效数字。") in body
    assert "decimal" not in body and not CommitteeTerm.objects.exists()


@pytest.mark.parametrize(
    "field",
    [
        models.IntegerField(),
        models.SmallIntegerField(),
        models.BigIntegerField(),
        models.PositiveIntegerField(),
        models.PositiveSmallIntegerField(),
        models.PositiveBigIntegerField(),
    ],
    ids=lambda field: type(field).__name__,
)
def test_every_kind_of_integer_column_reads_numbers_with_chinese_messages(field):
    assert ScopedResource.widget_from_django_field(field) is IntegerWidget


def test_an_unexpected_error_of_a_row_names_that_row_and_shows_no_traceback(cast, as_user, tree, monkeypatch):
    def save_instance(resource, instance, is_create, row, **kwargs):
        raise RuntimeError("意外的错误")

    monkeypatch.setattr(OrganizationResource, "save_instance", save_instance)
    rows = exported_rows(as_user(cast["staff"]), ORGS)
    rows[3][rows[0].index("名称")] = "改名的组织"
    body = admin_upload(as_user(cast["staff"]), ORGS, as_csv(rows)).content.decode()
    assert "<td>第 3 条数据</td><td>—</td><td>意外的错误</td>" in body
    assert "Traceback" not in body and "行号" not in body
    assert not Organization.objects.filter(name="改名的组织").exists()


def test_an_id_number_twice_in_a_roster_is_refused_with_the_message_alone(cast, as_user, tree):
    number = resident_id(1, birth="19900101", region="320500")
    content = f"姓名,身份证号,所在党组织\n张三,{number},A0101\n李四,{number},A0102\n".encode()
    response = admin_upload(as_user(cast["secretary_a"]), MEMBERS, content)
    body = response.content.decode()
    assert "文件中同一身份证号出现多次（第 1、2 条数据），请合并后重新导入。" in body
    assert "Traceback" not in body and "resources.py" not in body
    assert response.context.get("confirm_form") is None
    assert not Member.objects.exists()


def test_cadre_statistics_xlsx_sheet_has_the_pages_title(cast, as_user, tree):
    CadreFactory(organization=tree["district"])
    response = as_user(cast["staff"]).get("/admin/cadres/cadrestatistics/export/xlsx/")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response)))
    assert book.sheetnames == ["干部统计：条线 × 出生年代 × 现职级"]


CADRE_HEADER = "姓名,身份证号,工作单位,单位党组织,条线,类型,现职级,任现职级时间\n"


def test_an_invalid_rank_or_rank_date_gets_its_own_message_not_the_pairs(cast, as_user, tree):
    numbers = [resident_id(n, birth="19900101", region="320500") for n in (1, 2, 3)]
    content = (
        CADRE_HEADER
        + f"甲,{numbers[0]},区委组织部,XC,党群口,管理型,处长,2020-01-01\n"
        + f"乙,{numbers[1]},区委组织部,XC,党群口,管理型,科员,昨天\n"
        + f"丙,{numbers[2]},区委组织部,XC,党群口,管理型,科员,\n"
    ).encode()
    body = admin_upload(as_user(cast["staff"]), CADRES, content).content.decode()
    assert error(1, "现职级", "“处长”不是有效选项") in body
    assert error(2, "任现职级时间", "“昨天”不是有效日期") in body
    assert error(3, "任现职级时间", "填写了现职级，须同时填写任现职级时间。") in body
    assert body.count("须同时填写") == 1
    assert not Cadre.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_with_masked_numbers_is_refused_with_one_message_saying_what_to_do(cast, as_user, tree, fmt):
    members = [MemberFactory(organization=tree["A0101"], name=f"党员{n}") for n in range(3)]
    client = as_user(cast["secretary_a"])
    exported = client.post(f"{MEMBERS}export/", {"format": {"csv": "0", "xlsx": "1"}[fmt], "resource": "0"})
    content = b"".join(exported)
    Member.objects.filter(pk=members[0].pk).update(name="改过的名字")
    response = admin_upload(client, MEMBERS, content, name=f"党员.{fmt}", fmt=fmt)
    body = response.content.decode()
    masked = members[0].id_number[:6] + "*" * 11 + members[0].id_number[-1:]
    assert f"文件中的身份证号、手机号是隐去了部分数字的号码（如“{masked}”，在“身份证号”列第 1、2、3 条数据）" in body
    assert "请由有权查看完整号码的用户导出后再导入，或在文件中填写完整号码。" in body
    for misleading in ("出现多次", "身份证号格式不正确", "找不到党员"):
        assert misleading not in body
    assert response.context.get("confirm_form") is None
    assert Member.objects.get(pk=members[0].pk).name == "改过的名字"
    assert Member.objects.count() == 3
