"""The import/export base, exercised through the organization admin."""

import io
from datetime import date

import openpyxl
import pytest
import tablib

from branches.models import CommitteeTerm, Organization
from tests.conftest import admin_confirm, admin_upload, grant
from xiangcheng import imex
from xiangcheng.models import AccessLog, ImportUpload

ORGS = "/admin/branches/organization/"
HEADER = "上级组织代码,组织代码,名称,组织类型,成立日期,有效\n"


def export(client, fmt):
    return client.post(f"{ORGS}export/", {"format": {"csv": "0", "xlsx": "1"}[fmt], "resource": "0"})


def upload(client, content: bytes, name="orgs.csv", fmt="csv"):
    return admin_upload(client, ORGS, content, name, fmt)


def confirm(client, preview):
    return admin_confirm(client, ORGS, preview)


def test_csv_export_has_bom_and_chinese_headers(cast, as_user):
    response = export(as_user(cast["staff"]), "csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER.strip()
    assert "A0101,甲街道党工委第1党支部,党支部," in text


def test_secretary_export_holds_only_their_scope(cast, as_user):
    text = export(as_user(cast["secretary_a"]), "csv").content.decode("utf-8-sig")
    assert "甲街道" in text and "乙镇" not in text


def test_export_needs_the_export_permission(cast, as_user):
    assert export(as_user(cast["outsider"]), "csv").status_code == 403


def test_every_export_is_logged(cast, as_user):
    export(as_user(cast["secretary_a"]), "csv")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.rows) == (cast["secretary_a"], "export", 4)


def test_exported_formulas_are_neutralized(cast, as_user, tree):
    Organization.objects.filter(code="A0101").update(name='=HYPERLINK("http://x")')
    Organization.objects.filter(code="A0102").update(name="@SUM(1)")
    client = as_user(cast["staff"])
    text = export(client, "csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text
    book = openpyxl.load_workbook(io.BytesIO(export(client, "xlsx").getvalue()))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert '\'=HYPERLINK("http://x")' in [cell.value for cell in cells]


def test_xlsx_keeps_numbers_numbers_and_empty_cells_empty():
    dataset = tablib.Dataset(headers=["人次", "备注", "说明"])
    dataset.append([25180, None, "-5 度"])
    book = openpyxl.load_workbook(io.BytesIO(imex.XLSXFormat().export_data(dataset)))
    row = [cell.value for cell in next(book.active.iter_rows(min_row=2))]
    assert row == [25180, None, "'-5 度"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_import_reads_utf8_and_gbk(cast, as_user, encoding):
    client = as_user(cast["staff"])
    content = (HEADER + "A01,A0103,甲街道第三党支部,党支部,2020-05-17,是\n").encode(encoding)
    preview = upload(client, content)
    assert preview.context["result"].totals["new"] == 1, preview.content.decode()
    assert not Organization.objects.filter(code="A0103").exists()  # the preview writes nothing
    confirm(client, preview)
    created = Organization.objects.get(code="A0103")
    assert created.name == "甲街道第三党支部" and created.type == "branch"
    assert Organization.objects.get_parent(created).code == "A01"
    assert not ImportUpload.objects.exists()


def test_unknown_encoding_is_refused_in_chinese(cast, as_user):
    response = upload(as_user(cast["staff"]), (HEADER + "A01,A0103,第三,党支部,,是\n").encode("utf-16"))
    assert "无法识别文件编码" in response.content.decode()


def test_a_big5_file_is_refused_as_an_unknown_encoding_not_with_garbled_columns(cast, as_user):
    """Big5 decodes as GB18030 too, into gibberish, which the refusal listed as unknown columns."""
    content = "上級組織代碼,組織代碼,名稱,組織類型,成立日期,有效\nA01,A0103,第三支部,黨支部,,是\n".encode("big5")
    text = upload(as_user(cast["staff"]), content).content.decode()
    assert "无法识别文件编码" in text
    assert "无法识别的列" not in text
    assert not Organization.objects.filter(code="A0103").exists()


def test_a_gbk_file_with_an_unknown_column_is_told_the_column_not_the_encoding(cast, as_user):
    # GBK's · and — are no Big5 gibberish: the column is named.
    content = (HEADER.strip() + ",联系人·电话\nA01,A0103,第三支部,党支部,,是,x\n").encode("gbk")
    assert "无法识别的列：联系人·电话" in upload(as_user(cast["staff"]), content).content.decode()


def test_unknown_header_is_refused_before_any_row(cast, as_user):
    response = upload(
        as_user(cast["staff"]), "组织代码,名称,组织类型,上级组织代码,书记\nA0103,x,党支部,A01,张三\n".encode()
    )
    assert "无法识别的列：书记" in response.content.decode()


def test_missing_header_is_refused(cast, as_user):
    response = upload(as_user(cast["staff"]), "组织代码,名称\nA0103,x\n".encode())
    assert "缺少必需的列：组织类型、上级组织代码" in response.content.decode()


def test_row_cap_is_enforced(cast, as_user, monkeypatch):
    monkeypatch.setattr(imex, "MAX_IMPORT_ROWS", 2)
    rows = "".join(f"A01,A01{n:02d}X,支部{n},党支部,,是\n" for n in range(3))
    response = upload(as_user(cast["staff"]), (HEADER + rows).encode())
    assert "超过单次导入上限 2 行" in response.content.decode()


def test_one_bad_row_writes_no_row(cast, as_user):
    client = as_user(cast["staff"])
    content = (
        HEADER
        + "A01,A0103,好的党支部,党支部,,是\n"
        + "A01,A0104,坏的党支部,支部委员会,,是\n"
        + "ZZ,A0105,无上级党支部,党支部,,是\n"
    ).encode()
    response = upload(client, content)
    body = response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert "“支部委员会”不是有效选项" in body
    assert "找不到党组织“ZZ”" in body
    assert not Organization.objects.filter(code__in=["A0103", "A0104", "A0105"]).exists()


def test_duplicate_rows_abort_the_import(cast, as_user):
    content = (HEADER + "A01,A0103,第三党支部,党支部,,是\n" + "A01,A0103,又一个,党总支,,是\n").encode()
    response = upload(as_user(cast["staff"]), content)
    assert response.context.get("confirm_form") is None
    assert not Organization.objects.filter(code="A0103").exists()


def test_secretary_cannot_import_into_other_town(cast, as_user):
    grant(cast["secretary_a"], "branches.add_organization", "branches.change_organization")
    response = upload(as_user(cast["secretary_a"]), (HEADER + "B01,B0103,乙镇新支部,党支部,,是\n").encode())
    assert "找不到党组织“B01”，或不在您的权限范围内" in response.content.decode()
    assert not Organization.objects.filter(code="B0103").exists()


def test_import_needs_the_import_permission(cast, as_user):
    assert upload(as_user(cast["secretary_a"]), HEADER.encode()).status_code == 403  # no add/change
    assert upload(as_user(cast["outsider"]), HEADER.encode()).status_code == 403


def test_xlsx_import(cast, as_user):
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(","))
    book.active.append(["A01", "A0109", "表格导入党支部", "党支部", None, "是"])
    stream = io.BytesIO()
    book.save(stream)
    client = as_user(cast["staff"])
    preview = upload(client, stream.getvalue(), name="orgs.xlsx", fmt="xlsx")
    confirm(client, preview)
    assert Organization.objects.get(code="A0109").name == "表格导入党支部"


def test_row_wider_than_the_header_is_refused_not_truncated(cast, as_user):
    content = (HEADER + "A01,A0103,第三党支部,党支部,,是,多出的一列\n").encode()
    response = upload(as_user(cast["staff"]), content)
    assert "第 2 行的数据超出了表头的列数" in response.content.decode()
    assert not Organization.objects.filter(code="A0103").exists()


def test_empty_trailing_columns_and_blank_rows_are_ignored(cast, as_user):
    content = (HEADER.strip() + ",,\n" + ",,,,,,,\n" + "A01,A0103,第三党支部,党支部,,是,,\n").encode()
    preview = upload(as_user(cast["staff"]), content)
    assert preview.context["result"].totals["new"] == 1, preview.content.decode()


def test_row_errors_name_the_row_and_the_chinese_column(cast, as_user):
    content = (
        HEADER + "A01,A0103,好的党支部,党支部,,是\n" + "A01,A0104,坏的党支部,支部委员会,2020-13-40,是\n"
    ).encode()
    body = upload(as_user(cast["staff"]), content).content.decode()
    assert "<td>第 2 条数据</td><td>组织类型</td><td>“支部委员会”不是有效选项" in body
    assert "<td>第 2 条数据</td><td>成立日期</td>" in body


def test_dates_as_excel_users_write_them_and_bad_dates_in_chinese(cast, as_user):
    client = as_user(cast["staff"])
    good = upload(client, (HEADER + "A01,A0103,第三党支部,党支部,2020年5月17日,是\n").encode())
    assert good.context["result"].totals["new"] == 1
    confirm(client, good)
    assert str(Organization.objects.get(code="A0103").founded_on) == "2020-05-17"
    bad = upload(client, (HEADER + "A01,A0104,第四党支部,党支部,2020-13-40,是\n").encode())
    assert "“2020-13-40”不是有效日期" in bad.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_unchanged_export_imports_back_unchanged_though_its_text_was_neutralized(cast, as_user, tree, fmt):
    term = CommitteeTerm.objects.create(
        organization=tree["A01"], elected_on=date(2023, 8, 28), term_years=5, note="-提前换届（经区委批准）"
    )
    # Text that itself starts with the mark, before a formula prefix.
    earlier = CommitteeTerm.objects.create(
        organization=tree["A01"], elected_on=date(2018, 8, 28), term_years=5, note="'=按原文照录"
    )
    client = as_user(cast["staff"])
    terms = "/admin/branches/committeeterm/"
    exported = client.post(f"{terms}export/?org_only=A01", {"format": {"csv": "0", "xlsx": "1"}[fmt], "resource": "0"})
    content = b"".join(exported)
    if fmt == "csv":
        assert "'-提前换届（经区委批准）" in content.decode("utf-8-sig")  # what a spreadsheet must not run
    preview = admin_upload(client, terms, content, name=f"届次.{fmt}", fmt=fmt)
    assert preview.context["result"].totals == {"new": 0, "update": 0, "delete": 0, "skip": 2, "error": 0, "invalid": 0}
    admin_confirm(client, terms, preview)
    term.refresh_from_db()
    earlier.refresh_from_db()
    assert term.note == "-提前换届（经区委批准）"
    assert earlier.note == "'=按原文照录"


def test_an_import_removes_only_the_mark_an_export_adds():
    cells = ["'=1+1", "'@SUM(1)", "'+86", "'-5 度", "'张三", "-5 度", "''=1", "'''-2"]
    dataset = imex.build_dataset([["备注"], *([cell] for cell in cells)])
    assert dataset["备注"] == ["=1+1", "@SUM(1)", "+86", "-5 度", "'张三", "-5 度", "'=1", "''-2"]


@pytest.mark.parametrize("text", ["'=1", "''+86", "'-'", "=1", "'张三", "'", "''", "张三", "-"])
def test_text_that_itself_starts_with_marks_before_a_formula_goes_out_and_back_whole(text):
    """A note typed as '=1 came back from its own export as =1."""
    written = imex.neutralize(text)
    assert imex.unneutralize(written) == text
    # What a spreadsheet shows as the text itself: a leading "'" makes the cell text.
    assert written == text or written == "'" + text
