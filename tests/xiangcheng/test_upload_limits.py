"""Uploads bounded while reading: no file the import form accepts holds a server for long or
fills its memory, and every refusal is a Chinese message that writes and stores nothing."""

import io
import time

import openpyxl
import pytest

from branches.models import Organization
from tests.conftest import admin_upload
from tests.hostile import (
    bloated_styles_xlsx,
    lying_xlsx,
    million_row_xlsx,
    renamed_workbook_xlsx,
    sheet_data_xlsx,
    wide_row_xlsx,
)
from xiangcheng import imex, uploads
from xiangcheng.imex import ImportRefused, build_dataset
from xiangcheng.models import ImportUpload

ORGS = "/admin/branches/organization/"
HEADER = ["上级组织代码", "组织代码", "名称", "组织类型", "成立日期", "有效"]


@pytest.fixture(scope="module")
def million_rows():
    return million_row_xlsx()


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def refusal(response) -> str:
    errors = response.context["form"].errors.get("import_file") if response.context else None
    return " ".join(errors or [])


def test_the_million_row_xlsx_is_refused_at_once_in_chinese(cast, as_user, million_rows):
    assert len(million_rows) < 4 * 1024 * 1024
    client = as_user(cast["staff"])
    started = time.monotonic()
    response = admin_upload(client, ORGS, million_rows, "花名册.xlsx", "xlsx")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "解压后约 754 MB，超出可导入的范围" in refusal(response)
    assert elapsed < 1, f"refused after {elapsed:.2f} s"
    assert not ImportUpload.objects.exists()  # refused before it is stored


def test_an_xlsx_lying_about_its_size_is_refused_not_parsed_to_the_end(cast, as_user):
    response = admin_upload(as_user(cast["staff"]), ORGS, lying_xlsx(), "orgs.xlsx", "xlsx")
    assert "无法读取 XLSX 文件" in refusal(response)
    assert not ImportUpload.objects.exists()


def test_an_xlsx_row_of_more_cells_than_excel_has_columns_is_refused_as_it_is_read(cast, as_user):
    # Such a row (four million cells in a 13 MB file) was built whole, 2.5 GB and a minute,
    # before the column limit could look at it.
    response = admin_upload(as_user(cast["staff"]), ORGS, wide_row_xlsx(), "orgs.xlsx", "xlsx")
    assert "XLSX 文件中有一处内容过多或层次过深" in refusal(response)
    assert not ImportUpload.objects.exists()


def test_an_xlsx_bloated_with_cell_formats_is_refused_before_it_is_read(cast, as_user):
    # openpyxl reads the styles whole: 300,000 formats in a 0.8 MB file took 7 s and 750 MB.
    content = bloated_styles_xlsx()
    assert len(content) < 1024 * 1024
    response = admin_upload(as_user(cast["staff"]), ORGS, content, "orgs.xlsx", "xlsx")
    assert "XLSX 文件中的 xl/styles.xml 解压后约 9 MB，超出可导入的范围" in refusal(response)
    assert not ImportUpload.objects.exists()


def test_an_xlsx_part_is_bounded_as_openpyxl_reads_it_whatever_its_name(cast, as_user):
    # The workbook part renamed (its manifest and relations saying so) passed a check by name:
    # 1.6 million defined names took 21 s and 1.7 GB to read.
    response = admin_upload(as_user(cast["staff"]), ORGS, renamed_workbook_xlsx(), "orgs.xlsx", "xlsx")
    assert "XLSX 文件中的 xl/book.bin 解压后约 10 MB，超出可导入的范围" in refusal(response)
    assert not ImportUpload.objects.exists()


@pytest.mark.parametrize(
    "sheet_data",
    [
        # Elements between rows stayed in memory: 243 times 99,990 of them held 2.3 GB for 18 s.
        "<row><c><v>1</v></c></row>" + "<a/>" * 100_001 + "<row><c><v>2</v></c></row>",
        "<a/>" * 100_001 + "<row><c><v>1</v></c></row>",
    ],
)
def test_an_xlsx_of_elements_outside_its_rows_is_refused_as_it_is_read(cast, as_user, sheet_data):
    content = sheet_data_xlsx(sheet_data)
    response = admin_upload(as_user(cast["staff"]), ORGS, content, "orgs.xlsx", "xlsx")
    assert "XLSX 文件中有一处内容过多或层次过深" in refusal(response)


def test_rows_of_one_number_count_towards_the_row_limit(monkeypatch):
    # Rows repeating an earlier number are left out of the rows read: 4.2 million of them held
    # a server for 11 s, counted by no limit.
    monkeypatch.setattr(imex, "MAX_READ_ROWS", 100)
    content = sheet_data_xlsx('<row r="1"><c t="inlineStr"><is><t>名称</t></is></c></row>' + '<row r="1"/>' * 200)
    with pytest.raises(ImportRefused) as refused:
        build_dataset(imex.XLSXFormat().read_rows(content))
    assert "文件超过 100 行（含空行），已停止读取" in str(refused.value)


def test_rows_formatted_across_all_of_excels_columns_still_import(cast, as_user):
    book = openpyxl.Workbook()
    for values in (HEADER, ["A01", "A0103", "甲街道第三党支部", "党支部", "", "是"]):
        book.active.append(values)
    for row in (1, 2):
        for column in range(len(HEADER) + 1, 16_385):  # to XFD, Excel's last column
            book.active.cell(row=row, column=column).number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    response = admin_upload(as_user(cast["staff"]), ORGS, buffer.getvalue(), "orgs.xlsx", "xlsx")
    assert response.context["result"].totals["new"] == 1


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(cast, as_user, monkeypatch):
    monkeypatch.setattr(imex, "MAX_IMPORT_BYTES", 1024)
    content = (",".join(HEADER) + "\n" + "A01,A0103,甲街道第三党支部,党支部,,是\n" * 100).encode()
    response = admin_upload(as_user(cast["staff"]), ORGS, content)
    assert refusal(response) == "文件超过 1 KB，请拆分后分批导入。"
    assert not ImportUpload.objects.exists()


def test_the_read_stops_at_the_first_row_over_the_limit(monkeypatch):
    monkeypatch.setattr(imex, "MAX_IMPORT_ROWS", 3)
    read = []

    def rows():
        yield HEADER
        for n in range(1_000_000):
            read.append(n)
            yield ["A01", f"A01{n}", "支部", "党支部", "", "是"]

    with pytest.raises(ImportRefused) as refused:
        build_dataset(rows())
    assert str(refused.value) == "文件超过单次导入上限 3 行数据（读到第 5 行时停止），请拆分后导入。"
    assert len(read) == 4


def test_blank_rows_count_towards_a_limit_of_their_own(monkeypatch):
    monkeypatch.setattr(imex, "MAX_READ_ROWS", 10)
    rows = [HEADER, ["A01", "A0103", "支部", "党支部", "", "是"]] + [[None] * 6] * 20
    with pytest.raises(ImportRefused) as refused:
        build_dataset(iter(rows))
    assert "文件超过 10 行（含空行），已停止读取" in str(refused.value)


def test_a_long_read_stops_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(imex, "MAX_READ_SECONDS", 0)
    rows = [HEADER] + [["A01", f"A01{n}", "支部", "党支部", "", "是"] for n in range(2_000)]
    with pytest.raises(ImportRefused) as refused:
        build_dataset(iter(rows))
    assert "文件读取超过 0 秒，已停止" in str(refused.value)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["A01", "A0103", "支" * (imex.MAX_CELL_CHARS + 1), "党支部", "", "是"], "超过 2000 个字符的单元格"),
        (["A01", "A0103", "支部", "党支部", "", "是"] + [""] * 200 + ["多余"], "第 2 行超过 100 列"),
    ],
)
def test_cells_and_columns_are_bounded(cast, as_user, row, message):
    response = admin_upload(as_user(cast["staff"]), ORGS, xlsx([HEADER, row]), "orgs.xlsx", "xlsx")
    assert message in refusal(response)
    assert not Organization.objects.filter(code="A0103").exists()


def test_a_csv_row_of_more_columns_than_excel_has_is_refused_at_once(cast, as_user):
    # A header of 19 million empty columns took 6 to 8 seconds to be found blank.
    content = (",".join(HEADER) + "," * 200_000 + "\nA01,A0103,甲街道第三党支部,党支部,,是\n").encode()
    response = admin_upload(as_user(cast["staff"]), ORGS, content)
    assert "第 1 行超过 16384 列（含空列），已停止读取" in refusal(response)
    assert not Organization.objects.filter(code="A0103").exists()


def test_a_csv_field_that_never_ends_is_refused_in_chinese(cast, as_user):
    content = (",".join(HEADER) + '\nA01,A0103,"' + "支" * 200_000 + "\n").encode()
    response = admin_upload(as_user(cast["staff"]), ORGS, content)
    assert "CSV 文件第" in refusal(response) and "引号不成对" in refusal(response)


def test_an_xlsx_claiming_a_smaller_range_than_it_holds_loses_no_row(cast, as_user):
    content = xlsx([HEADER, ["A01", "A0103", "甲街道第三党支部", "党支部", "", "是"]])
    # openpyxl's read-only mode would stop at the range <dimension> claims (here the header only).
    content = _rewrite_sheet(content, lambda xml: xml.replace(b'<dimension ref="A1:F2"', b'<dimension ref="A1:F1"'))
    response = admin_upload(as_user(cast["staff"]), ORGS, content, "orgs.xlsx", "xlsx")
    assert response.context["result"].totals["new"] == 1


def _rewrite_sheet(content: bytes, change) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                changed = change(data)
                assert changed != data
                data = changed
            target.writestr(part.filename, data)
    return out.getvalue()


def test_a_body_larger_than_any_form_accepts_is_refused_before_it_is_read(cast, as_user, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_REQUEST_BYTES", 1024)
    client = as_user(cast["staff"])
    response = admin_upload(client, ORGS, b"x" * 2048)
    assert response.status_code == 400
    assert "请求无效" in response.content.decode() and "50 MB" in response.content.decode()
    assert not ImportUpload.objects.exists()
