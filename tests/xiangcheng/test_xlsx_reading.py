"""An uploaded XLSX read as an import reads it: what it needs and nothing more, each part
bounded as it is read, and every refusal a Chinese message (xiangcheng/imex.py, `XLSXFormat`)."""

import datetime
import io
import time
import warnings

import openpyxl
import pytest
from openpyxl.reader.strings import read_string_table

from tests.hostile import (
    bloated_styles_xlsx,
    changed_parts,
    chartsheets_xlsx,
    external_links_xlsx,
    one_cell_xlsx,
    shared_strings_xlsx,
    sheet_data_xlsx,
    sheet_xml_xlsx,
)
from xiangcheng import imex
from xiangcheng.imex import ImportRefused, build_dataset

CROWDED = "XLSX 文件中有一处内容过多或层次过深"


def read(content: bytes):
    imex.XLSXFormat().check_file(io.BytesIO(content))
    return build_dataset(imex.XLSXFormat().read_rows(content))


def refusal(content: bytes) -> str:
    with pytest.raises(ImportRefused) as refused:
        read(content)
    return str(refused.value)


def test_external_links_are_not_read(monkeypatch):
    # Kept by openpyxl's default, a link was read once per reference: 100 references to one
    # link, 31 s in an 80 KB file.
    read_parts = []
    original = imex._GuardedArchive.read
    monkeypatch.setattr(
        imex._GuardedArchive, "read", lambda self, name, pwd=None: read_parts.append(name) or original(self, name, pwd)
    )
    assert read(external_links_xlsx(references=3, rows=10)).headers == ["列"]
    assert "xl/workbook.xml" in read_parts
    assert not [name for name in read_parts if "externalLink" in name]


def test_a_workbook_of_hundreds_of_sheets_is_refused():
    # Thousands of chartsheets naming one part took seconds, each read and named.
    assert "XLSX 文件有 301 个工作表，超过 255 个" in refusal(chartsheets_xlsx(300))


def test_a_chartsheet_shown_on_opening_is_refused_in_chinese():
    assert read(chartsheets_xlsx(2)).headers == ["列"]
    assert "打开时显示的不是数据表（如图表页）" in refusal(chartsheets_xlsx(2, active=1))


def test_shared_strings_read_as_openpyxl_reads_them():
    table = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<si><t>甲</t></si><si><t/></si><si><t xml:space="preserve"> 乙 </t></si>'
        '<si><r><rPr><b/><sz val="11"/></rPr><t>丙</t></r><r><t>丁</t></r></si>'
        '<si><t>戊</t><rPh sb="0" eb="1"><t>wu</t></rPh></si><si><t>a_x005F_x000D_b</t></si>'
        "</sst>"
    ).encode()
    expected = read_string_table(io.BytesIO(table))
    assert imex._string_table(io.BytesIO(table), time.monotonic() + 60) == expected
    assert expected[3] == "丙丁" and expected[4] == "戊"


def test_shared_strings_are_bounded_in_number_and_in_size(monkeypatch):
    # 6 million empty strings in 0.4 MB took 37 s; one string of 3 million runs, 19 s and 1.3 GB.
    monkeypatch.setattr(imex, "MAX_XLSX_SHARED_STRINGS", 5)
    assert read(shared_strings_xlsx("<si><t>列</t></si>" * 5)).headers == ["列"]
    assert "XLSX 文件中的文字超过 5 条，超出可导入的范围" in refusal(shared_strings_xlsx("<si/>" * 6))
    monkeypatch.setattr(imex, "MAX_XLSX_ELEMENTS_PER_ROW", 50)
    assert CROWDED in refusal(shared_strings_xlsx("<si>" + "<r><t>列</t></r>" * 30 + "</si>"))


def test_an_entity_declared_in_a_sheet_is_refused_not_expanded():
    # Declared in a sheet and used 100,000 times in a cell: 0.2 MB took 11.5 s and 2 GB.
    content = changed_parts(
        sheet_data_xlsx('<row r="1"><c r="A1" t="inlineStr"><is><t>&a;&a;</t></is></c></row>'),
        {
            "xl/worksheets/sheet1.xml": lambda xml: xml.replace(
                b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "AB">]><worksheet', 1
            )
        },
    )
    assert "无法读取 XLSX 文件" in refusal(content)


def test_a_sheet_nested_deeper_than_spreadsheets_write_is_refused():
    # A nest never closed was built whole: 3 million levels in 0.17 MB, 8.5 s and 800 MB.
    content = sheet_data_xlsx('<row r="1"><c r="A1"><v>1</v></c></row>' + "<x>" * 40 + "</x>" * 40)
    assert CROWDED in refusal(content)


def test_a_styles_part_of_more_formats_than_excel_allows_is_refused():
    # 800,000 formats in a 4 MB styles part took 20 s.
    content = bloated_styles_xlsx(250_000, dense=True)
    assert CROWDED in refusal(content)


def test_what_follows_the_rows_is_not_read():
    # 100,000 merged ranges or links after the rows are not the import's business.
    merged = "".join(f'<mergeCell ref="C{n}:D{n}"/>' for n in range(1, 100_002))
    content = sheet_xml_xlsx(lambda xml: xml.replace("</sheetData>", f"</sheetData><mergeCells>{merged}</mergeCells>"))
    assert read(content).headers == ["列"]


def test_a_cell_openpyxl_cannot_read_as_a_date_leaves_no_warning_behind():
    # openpyxl warned once per such cell: 300,000 of them wrote 70 MB to the log and stayed in
    # the warnings registry, growing with each upload.
    book = openpyxl.Workbook()
    book.active.append(["列", "日期"])
    book.active.append(["甲", datetime.date(2020, 1, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    content = changed_parts(
        buffer.getvalue(), {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(b"<v>43831</v>", b"<v>1e400</v>")}
    )
    with warnings.catch_warnings(record=True) as caught:
        dataset = read(content)
    assert dataset.headers == ["列", "日期"] and dataset[0][1] == "#VALUE!"
    assert not caught


def test_a_zip_python_cannot_read_is_refused_not_answered_with_an_error():
    data = bytearray(one_cell_xlsx())
    directory = data.find(b"PK\x01\x02")
    data[directory + 6] = 64  # "version needed to extract": 6.4, which zipfile does not support
    assert "无法读取 XLSX 文件" in refusal(bytes(data))
