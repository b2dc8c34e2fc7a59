"""Exports compiled to SQL (xiangcheng/sqlexport.py) write the same bytes as the per-cell Python
path of django-import-export, for every resource, for staff and for a secretary."""

import csv
import io
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from branches.models import ActionBranch, Organization, ServiceAction
from members.models import Member
from talent.models import Talent, TalentProject
from xiangcheng import sqlexport
from xiangcheng.admin import ImportExportAdmin
from xiangcheng.imex import TEXT_MARK, neutralize
from xiangcheng.scoping import can_see_full_numbers

TRICKY = ['逗号,引号"和\n换行', "=HYPERLINK(1)", "+86", "-1", "@SUM", "\t制表", "普通 文本", "", "'=1", "''+2", "'张三"]


def python_csv(resource, queryset, export_fields=None) -> bytes:
    """The reference: django-import-export's per-cell export, written as the CSV format does,
    full personal numbers marked as text."""
    dataset = resource.export(queryset, export_fields=export_fields)
    fields = resource.get_export_fields(export_fields)
    marked = [bool(resource._personal_kind(field)) and resource.full_numbers for field in fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralize(header) for header in dataset.headers])
    for row in dataset:
        cells = [neutralize(cell) for cell in row]
        writer.writerow([TEXT_MARK + cell if mark and cell else cell for cell, mark in zip(cells, marked, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sql_csv(resource, queryset, export_fields=None) -> bytes:
    return b"".join(sqlexport.stream_csv(resource, queryset, export_fields=export_fields))


def resource_classes():
    found = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ImportExportAdmin):
            found += [(model, resource) for resource in model_admin.get_export_resource_classes(None)]
    return found


RESOURCES = resource_classes()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The tiny demo district, with tricky values written into every kind of column."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))
        town = Organization.objects.get(code="YH")
        members = list(Member.objects.filter(organization__path__descendants=town.path).order_by("pk")[: len(TRICKY)])
        for member, text in zip(members, TRICKY, strict=False):
            Member.objects.filter(pk=member.pk).update(name=text or "空", ethnicity=text, mobile="")
        Member.objects.filter(pk=members[0].pk).update(joined_on=None, education="")
        action_branches = list(ActionBranch.objects.order_by("pk")[:3])
        action_branches[0].members.set([])
        action_branches[1].members.set(members[:1])
        action_branches[2].members.set(members[:3])
        ServiceAction.objects.filter(action_branch=action_branches[2]).update(description=TRICKY[0], place="=A1")
        Talent.objects.filter(pk=Talent.objects.first().pk).update(notes=TRICKY[0], mobile="", employer="-公司")
        project = TalentProject.objects.first()
        project.talents.set([])
        TalentProject.objects.filter(pk=project.pk).update(
            enterprise="@企业", approved=Decimal("1234567.50"), disbursed=Decimal("1000000.00")
        )
        yield {
            "staff": get_user_model().objects.get(username="admin"),
            "secretary": get_user_model().objects.get(username="secretary"),
        }
        transaction.set_rollback(True)


@pytest.mark.parametrize("model,resource_class", RESOURCES, ids=[r.__name__ for _, r in RESOURCES])
@pytest.mark.parametrize("who", ["staff", "secretary"])
def test_sql_export_writes_the_same_bytes_as_the_python_path(db, demo, model, resource_class, who):
    user = demo[who]
    resource = resource_class(user=user)
    queryset = resource.get_queryset().order_by("pk")
    expected = python_csv(resource_class(user=user), queryset)
    if who == "staff":
        assert expected.count(b"\n") > 1, "the demo data has rows of every list"
    assert sql_csv(resource, queryset) == expected


def test_the_cast_covers_masked_and_full_numbers_and_the_tricky_values(db, demo):
    assert can_see_full_numbers(demo["staff"]) and not can_see_full_numbers(demo["secretary"])
    from members.resources import MemberResource

    staff = sql_csv(MemberResource(user=demo["staff"]), Member.objects.order_by("pk")).decode()
    secretary = sql_csv(MemberResource(user=demo["secretary"]), Member.objects.order_by("pk")).decode()
    number = Member.objects.filter(organization__name__contains="元和").first().id_number
    assert number in staff and number not in secretary
    assert f"{number[:6]}***********{number[-1:]}" in secretary
    assert '"逗号,引号""和\n换行"' in staff
    assert "'=HYPERLINK(1)" in staff and "'+86" in staff and "'-1" in staff and "'@SUM" in staff
    # A secretary's export holds only their town's rows (the scope is in the WHERE clause).
    rows = list(csv.reader(io.StringIO(secretary.removeprefix("\ufeff"))))
    assert len(rows) - 1 == Member.objects.visible_to(demo["secretary"]).count() < Member.objects.count()


def test_selected_columns_export_the_same_bytes(db, demo):
    from members.resources import MemberResource

    selected = ["name", "id_number", "organization", "joined_on"]
    resource = MemberResource(user=demo["secretary"])
    queryset = resource.get_queryset().order_by("pk")
    assert sql_csv(resource, queryset, selected) == python_csv(
        MemberResource(user=demo["secretary"]), queryset, selected
    )
    single = sql_csv(resource, queryset.filter(joined_on=None), ["joined_on"])
    assert single == python_csv(MemberResource(user=demo["secretary"]), queryset.filter(joined_on=None), ["joined_on"])


def test_an_export_is_one_select_whatever_its_size(db, demo):
    from branches.resources import ActionBranchResource

    resource = ActionBranchResource(user=demo["staff"])
    with CaptureQueriesContext(connection) as queries:
        body = sql_csv(resource, ActionBranch.objects.all())
    # Records, not lines: a quoted cell may hold a line break of its own.
    records = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(records) == ActionBranch.objects.count() + 1
    copies = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("COPY")]
    assert len(copies) == 1
    assert "DECLARE" not in " ".join(query["sql"] for query in queries.captured_queries)


def test_a_closed_download_leaves_the_connection_usable(db, demo, monkeypatch):
    from members.resources import MemberResource

    monkeypatch.setattr(sqlexport, "CHUNK_BYTES", 100)
    stream = sqlexport.stream_csv(MemberResource(user=demo["staff"]), Member.objects.all())
    next(stream), next(stream)
    stream.close()
    assert Member.objects.exists()


def test_xlsx_has_typed_cells_text_numbers_and_a_frozen_header(db, demo):
    from members.resources import MemberResource

    queryset = Member.objects.order_by("pk")
    resource = MemberResource(user=demo["staff"])
    book = openpyxl.load_workbook(sqlexport.xlsx_file(resource, queryset))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    assert len(rows) == queryset.count() + 1
    assert sheet.freeze_panes == "A2"
    first = dict(zip(headers, rows[1], strict=True))
    member = queryset.first()
    assert first["身份证号"] == member.id_number
    assert sheet.cell(row=2, column=headers.index("身份证号") + 1).data_type == "s"
    assert first["出生日期"].date() == member.birth_date
    assert all(isinstance(cell, str) for cell in [first["姓名"], first["所在党组织"]])
    assert sheet.column_dimensions["D"].width > 18


def test_xlsx_text_columns_are_as_wide_as_their_content(db, demo):
    """A Chinese character takes two widths; a 20-character name gets a column it fits in."""
    from members.resources import MemberResource

    queryset = Member.objects.order_by("pk")
    Member.objects.filter(pk=queryset.first().pk).update(name="欧阳" * 10)
    sheet = openpyxl.load_workbook(sqlexport.xlsx_file(MemberResource(user=demo["staff"]), queryset)).active
    headers = [cell.value for cell in sheet[1]]
    assert sheet.column_dimensions["A"].width >= 40  # 姓名
    assert sheet.column_dimensions[openpyxl.utils.get_column_letter(headers.index("民族") + 1)].width < 40


def test_xlsx_of_a_project_has_numbers_as_numbers(db, demo):
    from talent.resources import TalentProjectResource

    queryset = TalentProject.objects.filter(approved=Decimal("1234567.50"))
    book = openpyxl.load_workbook(sqlexport.xlsx_file(TalentProjectResource(user=demo["staff"]), queryset))
    rows = list(book.active.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["批准金额（元）"] == 1234567.5
    assert dict(zip(rows[0], rows[1], strict=True))["企业"] == "'@企业"


def test_every_resource_compiles(db):
    for _, resource_class in RESOURCES:
        resource = resource_class(user=None)
        assert sqlexport.compile_columns(resource, resource.get_export_fields())


def test_a_user_with_no_role_exports_no_row(db, demo):
    from members.resources import MemberResource

    outsider = get_user_model().objects.create_user("outsider_export")
    text = sql_csv(MemberResource(user=outsider), Member.objects.all()).decode("utf-8-sig")
    assert text.splitlines() == [",".join(MemberResource().get_export_headers())]


LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(not LIBREOFFICE and os.environ.get("CI") != "true", reason="LibreOffice 未安装")
def test_libreoffice_opens_the_xlsx_with_whole_id_numbers_and_dates(db, demo, tmp_path):
    from members.resources import MemberResource

    queryset = Member.objects.order_by("pk")
    book = tmp_path / "党员.xlsx"
    book.write_bytes(sqlexport.xlsx_file(MemberResource(user=demo["staff"]), queryset).read())
    converted = convert(book, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path)
    rows = list(csv.reader(io.StringIO(converted.read_text("utf-8-sig"))))
    member = queryset.first()
    assert rows[0][:4] == ["姓名", "性别", "民族", "身份证号"]
    assert len(rows) == queryset.count() + 1
    assert rows[1][3] == member.id_number  # text, not 3.20507E+17
    assert rows[1][4] == f"{member.birth_date:%Y-%m-%d}"


def convert(source, target_format, tmp_path, *, infilter=None):
    """`source` converted by LibreOffice headless, as a person opening it would see it."""
    subprocess.run(
        [
            LIBREOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target_format,
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return source.with_suffix("." + target_format.split(":")[0])


@pytest.mark.skipif(not LIBREOFFICE and os.environ.get("CI") != "true", reason="LibreOffice 未安装")
def test_libreoffice_opens_the_csv_with_whole_id_and_mobile_numbers(db, demo, tmp_path):
    """A CSV opened in a spreadsheet (UTF-8, comma): ID and mobile numbers stay text with every
    digit, where a bare number would become 3.20507E+17; the file imports back unchanged
    (tests/xiangcheng/test_round_trip.py)."""
    from members.resources import MemberResource

    queryset = Member.objects.exclude(mobile="").order_by("pk")
    member = queryset.first()
    path = tmp_path / "党员.csv"
    path.write_bytes(sql_csv(MemberResource(user=demo["staff"]), queryset))
    sheet = openpyxl.load_workbook(convert(path, "xlsx", tmp_path, infilter="CSV:44,34,76,1")).active
    headers = [cell.value for cell in sheet[1]]
    row = [cell.value for cell in sheet[2]]
    id_number, mobile = row[headers.index("身份证号")], row[headers.index("手机号")]
    assert isinstance(id_number, str) and id_number.strip() == member.id_number
    assert isinstance(mobile, str) and mobile.strip() == member.mobile


def test_xlsx_cells_keep_control_characters_and_spaces(tmp_path):
    from xiangcheng import xlsx

    path = tmp_path / "t.xlsx"
    with path.open("wb") as file:
        xlsx.write_sheet(
            file,
            title='名单<&>"',
            headers=["甲", "乙", "丙"],
            widths=[10, 10, 10],
            text_columns={0},
            rows=[["  前后空格  ", "响铃\x07", Decimal("1.50")], [None, "", date(2020, 5, 17)]],
        )
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == '名单<&>"'
    assert sheet["A2"].value == "  前后空格  " and sheet["A2"].number_format == "@"
    assert sheet["B2"].value == "响铃_x0007_" or sheet["B2"].value == "响铃\x07"
    assert sheet["C2"].value == 1.5
    assert sheet["A3"].value is None and sheet["C3"].value.date() == date(2020, 5, 17)


def test_exports_give_an_organizations_name_beside_its_code(db, demo):
    from members.resources import MemberResource

    member = Member.objects.select_related("organization").order_by("pk").first()
    text = sql_csv(MemberResource(user=demo["staff"]), Member.objects.filter(pk=member.pk)).decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(text))
    at = header.index("所在党组织")
    assert header[at + 1] == "所在党组织名称"
    assert row[at : at + 2] == [member.organization.code, member.organization.name]
