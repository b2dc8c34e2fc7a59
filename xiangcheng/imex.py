"""The import/export base (django-import-export), used by every app.

- CSV and XLSX only. CSV export is UTF-8 with a BOM; CSV import reads UTF-8 (with or without
  BOM) and GB18030/GBK.
- Headers are the fields' Chinese names; choices travel as their Chinese labels; related rows
  are matched by their natural key (a code or a name), never by database id.
- Exported text that a spreadsheet would run as a formula is neutralized with a leading "'", which
  an import removes again (`unneutralize`): a file exported and imported unchanged changes nothing
  (but for white space around a cell's text, which an import drops).
- A file is checked before any row is read (size; for an XLSX, what its zip would unpack to) and
  read as a stream under limits (rows, columns, cell length, time), so the read stops at the
  first row over a limit: no upload the form accepts can hold a server for long or fill its
  memory. Rows are then validated in one transaction, and any invalid row rolls the whole
  import back.
- Rows are validated in sets, not one by one: the related rows a column names and the existing
  values of each unique field are looked up once per file (ScopedResource.before_import), so an
  import costs a fixed number of queries however many rows it has. A long import reports how
  far it is to the page that waits for it (xiangcheng/progress.py).
- Exports are compiled to one SQL query (xiangcheng/sqlexport.py): PostgreSQL's COPY writes the
  CSV, and the XLSX is written from the same rows in constant memory. The per-cell methods of
  the resources (`export_field`, the widgets' `render`) remain the reference the SQL is tested
  against, byte for byte.
"""

import codecs
import copy
import csv
import io
import logging
import time
import uuid
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.functional import cached_property
from import_export import resources, widgets
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.results import RowResult
from import_export.tmp_storages import BaseStorage
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook.defined_name import DefinedNameDict
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, ROW_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from xiangcheng.edits import changed_between, table_version
from xiangcheng.maintenance import analyze
from xiangcheng.models import ImportUpload
from xiangcheng.people import PinyinNamed
from xiangcheng.progress import REPORT_EVERY, Progress
from xiangcheng.scoping import can_see_full_numbers, visible
from xiangcheng.validators import MASK, MASKS

# An import writing at least this many rows refreshes the table's planner statistics.
ANALYZE_AFTER_ROWS = 1_000

# What one import may hold. A file is read as a stream and refused at the first row or cell over
# a limit; an XLSX is refused before parsing if its zip would unpack to more than the caps.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 30_000
MAX_READ_ROWS = 2 * MAX_IMPORT_ROWS  # blank rows included (a sheet formatted far below its data)
MAX_COLUMNS = 100
# Columns a row may have at all, blank ones included (Excel's 16,384): a CSV header of 19 million
# empty columns took 6 to 8 seconds to find blank before the import went on.
MAX_READ_COLUMNS = 16_384
MAX_CELL_CHARS = 2_000
MAX_READ_SECONDS = 20
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
# XML elements a row of a sheet may hold, and the sheet outside its rows in all: a row of Excel's
# 16,384 columns (a cell, its value and perhaps a formula or rich text: a few elements each)
# fits; one row of four million cells, which openpyxl builds whole before a column limit can
# look at it (2.5 GB and a minute for a 13 MB file), is refused at this many.
MAX_XLSX_ELEMENTS_PER_ROW = 100_000
# XML nesting an XLSX part may have (real ones: a rich text run's font, 7 levels deep).
MAX_XML_DEPTH = 32
# Tags ("<") a part read whole may hold: Excel's 64,000 cell formats, the most it allows, fit.
MAX_XLSX_PART_TAGS = 200_000
# Sheets a workbook may have.
MAX_XLSX_SHEETS = 255
# Shared strings (a workbook's distinct texts) an XLSX may hold: a roster of 30,000 members has
# about 200,000; a million take about 4 seconds to read.
MAX_XLSX_SHARED_STRINGS = 1_000_000
# openpyxl holds an XLSX's shared strings in memory (the sheet itself it reads as a stream).
MAX_XLSX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
# Any other part of an XLSX that openpyxl reads whole into objects (styles, the workbook, their
# relations and properties; checked as it asks for them, `_GuardedArchive`): real ones are
# kilobytes (Excel's 64,000 cell formats, the most it allows, about 6 MB); a styles part of
# 300,000 formats, 0.8 MB packed, took 7 s and 750 MB to read.
MAX_XLSX_PART_BYTES = 8 * 1024 * 1024
# A part of an XLSX may unpack to at most this many times its packed size (real sheets: 5–20×;
# a sheet of a million repeated rows: about 700×), once it is larger than RATIO_FROM_BYTES.
MAX_XLSX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
# Exports (xiangcheng/sqlexport.py): above this many rows a CSV streams as COPY writes it, below it
# goes out whole; an XLSX holds at most what one Excel sheet does.
STREAM_CSV_FROM_ROWS = 5_000
MAX_XLSX_ROWS = 1_048_575
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A CSV cell that starts with a tab is text to Excel, WPS and LibreOffice (no 3.20507E+17, no lost
# digits), and imports back as the same number (the validators drop white space): how a CSV
# export keeps full ID and mobile numbers whole. Written after neutralizing (sqlexport.AsText).
TEXT_MARK = "\t"
# Rows an import writes (a skipped or invalid row is not written).
WRITTEN = {RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_DELETE}

logger = logging.getLogger(__name__)


class ImportRefused(ValueError):
    """A file refused before any row is read; the message is shown to the user as it is."""


class ImportConflict(ValueError):
    """A confirmed import would change rows edited by someone else since its preview; raised
    inside the import's transaction, so nothing is written. The message is shown as it is."""


def neutralize(value):
    """Prefix text that a spreadsheet would run as a formula with "'"; leave other values alone.
    Text whose own leading "'"s come before a formula prefix ("'=1") gets one more, so that
    `unneutralize` gives it back whole."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralize(text: str) -> str:
    """The inverse of `neutralize`: text read from a file loses the one "'" an export put before
    a formula prefix (or before the text's own "'"s that come before one), and only that one."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


_XLSX_UNREADABLE = "无法读取 XLSX 文件，请确认文件未损坏且是 .xlsx 格式。"
_XLSX_CROWDED = (
    f"XLSX 文件中有一处内容过多或层次过深（如一行超过 Excel 的 {MAX_READ_COLUMNS} 列），已停止读取。"
    "请只保留数据区域，另存后重新导入。"
)
_ENCODING_HELP = "无法识别文件编码。请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”或普通 CSV（GBK），或直接上传 XLSX。"


def csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, whichever decodes the whole file; decoded in
    pieces and thrown away, so finding out costs no copy of the file."""
    if b"\x00" in data:
        raise ImportRefused(_ENCODING_HELP)
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportRefused(_ENCODING_HELP)


def _outside_gb2312(text: str) -> bool:
    """Whether `text` holds a character whose GB18030 bytes lie outside GB2312's area (both bytes
    0xA1 or above): what Big5 bytes mostly read as, and a header in simplified Chinese never holds
    (GBK's · and — lie inside it)."""
    for character in text:
        if character.isascii():
            continue
        encoded = character.encode("gb18030")
        if len(encoded) != 2 or encoded[0] < 0xA1 or encoded[1] < 0xA1:
            return True
    return False


def check_xlsx_archive(file) -> None:
    """Refuse an XLSX (a binary file object) whose zip would unpack to more than the caps, from
    its directory alone, before any XML is parsed. The sizes are the ones the directory declares;
    Python's zipfile never unpacks a part beyond its declared size (a part that would is cut short
    and fails its checksum)."""
    try:
        parts = zipfile.ZipFile(file).infolist()
    except Exception:  # not a zip, or one Python cannot read (a "version needed" of 6.4: NotImplementedError)
        raise ImportRefused(_XLSX_UNREADABLE) from None
    unpacked = sum(part.file_size for part in parts)
    packed_too_tight = any(
        part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_XLSX_RATIO * max(part.compress_size, 1)
        for part in parts
    )
    if unpacked > MAX_XLSX_UNPACKED_BYTES or packed_too_tight:
        raise ImportRefused(
            f"XLSX 文件解压后约 {unpacked // (1024 * 1024)} MB，超出可导入的范围（疑似大量空行或重复内容）。"
            f"请只保留数据区域另存后导入，或拆分为每份不超过 {MAX_IMPORT_ROWS} 行。"
        )


def _blank(value) -> bool:
    return value is None or str(value).strip() == ""


def build_dataset(rows: Iterable[Sequence]) -> tablib.Dataset:
    """The first non-blank row is the header. Blank rows and the empty trailing columns that
    spreadsheets often carry are dropped; a row with values beyond the header is refused. Text
    cells lose the white space around them (a spreadsheet's stray spaces, and the TEXT_MARK with
    which a CSV export keeps its ID numbers text), then the "'" an export neutralized them with.

    `rows` is read lazily and the read stops at the first row over a limit: more than
    MAX_IMPORT_ROWS data rows or MAX_READ_ROWS rows in all, a row of more than MAX_READ_COLUMNS
    columns, a cell longer than MAX_CELL_CHARS, or longer than MAX_READ_SECONDS."""
    deadline = time.monotonic() + MAX_READ_SECONDS
    dataset, width = None, 0
    for number, row in enumerate(rows, start=1):
        if number > MAX_READ_ROWS:
            raise _too_many_rows()
        if number % 1000 == 0 and time.monotonic() > deadline:
            raise _too_long()
        if len(row) > MAX_READ_COLUMNS:
            raise ImportRefused(
                f"第 {number} 行超过 {MAX_READ_COLUMNS} 列（含空列），已停止读取。请只保留需要导入的列，另存后导入。"
            )
        if all(map(_blank, row)):
            continue
        _check_cells(row, number)
        if dataset is None:
            width = len(row)
            while width and _blank(row[width - 1]):
                width -= 1
            dataset = tablib.Dataset(headers=[str(cell or "").strip() for cell in row[:width]])
            continue
        if not all(map(_blank, row[width:])):
            raise ImportRefused(f"第 {number} 行的数据超出了表头的列数，请给这些列加上表头或删除它们。")
        if dataset.height == MAX_IMPORT_ROWS:
            raise ImportRefused(
                f"文件超过单次导入上限 {MAX_IMPORT_ROWS} 行数据（读到第 {number} 行时停止），请拆分后导入。"
            )
        cells = [unneutralize(cell.strip()) if isinstance(cell, str) else cell for cell in row[:width]]
        cells = ["" if cell is None else cell for cell in cells]
        dataset.append(cells + [""] * (width - len(cells)))
    if dataset is None:
        raise ImportRefused("文件是空的。")
    return dataset


def _too_many_rows() -> ImportRefused:
    return ImportRefused(
        f"文件超过 {MAX_READ_ROWS} 行（含空行），已停止读取。请删除多余的空行，或拆分为每份不超过 "
        f"{MAX_IMPORT_ROWS} 行后导入。"
    )


def _too_long() -> ImportRefused:
    return ImportRefused(f"文件读取超过 {MAX_READ_SECONDS} 秒，已停止。请拆分为较小的文件后导入。")


def _check_cells(row: Sequence, number: int) -> None:
    if len(row) > MAX_COLUMNS and not all(map(_blank, row[MAX_COLUMNS:])):
        raise ImportRefused(f"第 {number} 行超过 {MAX_COLUMNS} 列，请只保留需要导入的列。")
    for cell in row:
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            raise ImportRefused(f"第 {number} 行有超过 {MAX_CELL_CHARS} 个字符的单元格，请检查是否粘贴了多余内容。")


def check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        mib = MAX_IMPORT_BYTES // (1 << 20)
        limit = f"{mib} MB" if mib else f"{MAX_IMPORT_BYTES // 1024} KB"
        raise ImportRefused(f"文件超过 {limit}，请拆分后分批导入。")


def _csv_rows(reader):
    """The rows of `reader`; a field over the csv module's limit (128 KB) or a quote never
    closed is refused, not raised."""
    try:
        yield from reader
    except csv.Error:
        raise ImportRefused(
            f"CSV 文件第 {reader.line_num} 行有过长的单元格，或引号不成对，请检查后重新导入。"
        ) from None


class SafeFormat:
    """Checks shared by the CSV and XLSX formats; `headers` is set per admin (see ImportExportAdmin)."""

    headers: tuple = ()
    required_headers: tuple = ()

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream):
        check_size(len(in_stream))
        self.check_file(io.BytesIO(in_stream))
        dataset = build_dataset(self.read_rows(in_stream))
        self.check_headers(dataset)
        if dataset.height == 0:
            raise ImportRefused("文件中没有数据行。")
        return dataset

    def check_headers(self, dataset):
        headers = dataset.headers
        unknown = [header for header in headers if header not in self.headers]
        if unknown:
            raise ImportRefused(self.unknown_headers_refusal(unknown))
        missing = [header for header in self.required_headers if header not in headers]
        if missing:
            raise ImportRefused(f"缺少必需的列：{'、'.join(missing)}。")
        if len(set(headers)) != len(headers):
            raise ImportRefused("表头有重复的列，请删除重复列后重新导入。")

    def unknown_headers_refusal(self, unknown: list[str]) -> str:
        return f"无法识别的列：{'、'.join(unknown) or '（空表头）'}。可用的列：{'、'.join(self.headers)}。"

    def check_file(self, file) -> None:
        """What can be checked of the file (a binary file object) before any row is read."""

    def neutralized(self, dataset):
        safe = tablib.Dataset(headers=[neutralize(header) for header in dataset.headers], title=dataset.title)
        for row in dataset:
            safe.append([neutralize(cell) for cell in row])
        return safe


class CSVFormat(SafeFormat, base_formats.CSV):
    native_types = False

    def get_title(self):
        return "csv"

    encoding = None

    def read_rows(self, in_stream):
        self.encoding = csv_encoding(in_stream)
        text = io.TextIOWrapper(io.BytesIO(in_stream), encoding=self.encoding, newline="")
        return _csv_rows(csv.reader(text))

    def unknown_headers_refusal(self, unknown: list[str]) -> str:
        # A file in another encoding (Big5, Shift JIS) mostly decodes as GB18030 too, into
        # characters GB2312 lacks: a list of headers read so would be gibberish.
        if self.encoding == "gb18030" and any(map(_outside_gb2312, unknown)):
            return _ENCODING_HELP
        return super().unknown_headers_refusal(unknown)

    def export_data(self, dataset, **kwargs):
        # The BOM lets Excel and WPS recognise UTF-8 and show Chinese.
        return ("\ufeff" + self.neutralized(dataset).export("csv")).encode("utf-8")


class XLSXFormat(SafeFormat, base_formats.XLSX):
    native_types = True

    def get_title(self):
        return "xlsx"

    def check_file(self, file):
        check_xlsx_archive(file)

    def read_rows(self, in_stream):
        # openpyxl warns once per cell it cannot read as styled (a date of serial 1e400):
        # hundreds of thousands of warnings in one file flooded the log and stayed in the
        # warnings registry, growing with each upload; such a cell reads as #VALUE!. Set at each
        # read (setting it again changes nothing), as a test runner resets the filters set on
        # import.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        book = None
        try:
            # One time limit for the whole read (build_dataset's, begun as it asked for the rows).
            deadline = time.monotonic() + MAX_READ_SECONDS
            reader = _RowsOnlyReader(io.BytesIO(in_stream), deadline, read_only=True, data_only=True)
            reader.read()
            book = reader.wb
            if not isinstance(book.active, _UnsizedSheet):
                raise ImportRefused(
                    "XLSX 文件打开时显示的不是数据表（如图表页）。请切换到数据所在的工作表，保存后重新导入。"
                )
            yield from _sheet_values(book.active, deadline)
        except ImportRefused:
            raise
        except Exception as error:
            # openpyxl wraps what its reading raised (a `_GuardedArchive` refusal) in a ValueError.
            if isinstance(error.__cause__, ImportRefused):
                raise error.__cause__ from None
            raise ImportRefused(_XLSX_UNREADABLE) from None
        finally:
            if book is not None:
                book.close()

    def export_data(self, dataset, **kwargs):
        # Text starting with "=" would otherwise be written as a formula.
        return super().export_data(self.neutralized(dataset), **kwargs)


def _bounded_events(source, deadline: float):
    """The ("start" or "end", element) events of parsing the XML `source` with openpyxl's
    iterparse (defusedxml's: no entity is declared, so none is expanded), refused once the read
    runs past `deadline` or nests deeper than MAX_XML_DEPTH (a nest never closed was built whole:
    3 million levels in 0.17 MB took 8.5 s and 800 MB)."""
    depth = 0
    for count, (event, element) in enumerate(iterparse(source, events=("start", "end")), start=1):
        if count % 10_000 == 0 and time.monotonic() > deadline:
            raise _too_long()
        if event == "end":
            depth -= 1
        elif (depth := depth + 1) > MAX_XML_DEPTH:
            raise ImportRefused(_XLSX_CROWDED)
        yield event, element


class _GuardedArchive:
    """The zip of an XLSX as `_RowsOnlyReader` reads it. A part openpyxl reads whole (all but the
    sheets, which `_sheet_values` streams, and the shared strings, `_string_table`) may unpack
    to MAX_XLSX_PART_BYTES and hold MAX_XLSX_PART_TAGS tags at most: checked on the part
    openpyxl asks for, which the file's own manifest names (a workbook part renamed book.bin,
    holding 1.6 million names, passed a check by name and took 21 s and 1.7 GB to read; 800,000
    cell formats in a 4 MB styles part took 20 s)."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.allowed: dict[str, int] = {}  # parts allowed more than MAX_XLSX_PART_BYTES

    def __getattr__(self, name):
        return getattr(self.archive, name)

    def read(self, name, pwd=None):
        self._check(name)
        data = self.archive.read(name, pwd)
        if data.count(b"<") > MAX_XLSX_PART_TAGS:
            raise ImportRefused(_XLSX_CROWDED)
        return data

    def open(self, name, mode="r", pwd=None, **kwargs):
        self._check(name)
        return self.archive.open(name, mode, pwd, **kwargs)

    def streamed(self, name):
        """A sheet, parsed as a stream under limits of its own (`_BoundedSheetParser`)."""
        return self.archive.open(name)

    def _check(self, name):
        info = name if isinstance(name, zipfile.ZipInfo) else self.archive.getinfo(name)
        if info.file_size > self.allowed.get(info.filename, MAX_XLSX_PART_BYTES):
            raise ImportRefused(
                f"XLSX 文件中的 {info.filename} 解压后约 {info.file_size // (1024 * 1024)} MB，超出可导入的范围"
                "（疑似大量单元格格式、名称或文字）。请把数据复制到新建的工作簿，另存后导入。"
            )


STRING_TAG, TEXT_TAG = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t"


def _string_table(source, deadline: float) -> list[str]:
    """openpyxl's `read_string_table` (each shared string's text without its formatting), bounded:
    at most MAX_XLSX_SHARED_STRINGS strings, each of
    MAX_XLSX_ELEMENTS_PER_ROW elements at most, read by the read's `deadline`, each dropped from
    the tree once read (6 million empty strings in 0.4 MB took 37 s; one of 3 million runs, 19 s
    and 1.3 GB)."""
    strings, table, elements = [], None, 0
    for event, node in _bounded_events(source, deadline):
        if event == "start":
            table = node if table is None else table
            continue
        if node.tag != STRING_TAG:
            if (elements := elements + 1) > MAX_XLSX_ELEMENTS_PER_ROW:
                raise ImportRefused(_XLSX_CROWDED)
            continue
        if len(strings) == MAX_XLSX_SHARED_STRINGS:
            raise ImportRefused(
                f"XLSX 文件中的文字超过 {MAX_XLSX_SHARED_STRINGS:,} 条，超出可导入的范围。"
                "请只保留要导入的工作表和数据区域，另存后重新导入。"
            )
        # Plain text (the usual string) and no text read directly; formatted runs as openpyxl
        # reads them.
        if not len(node):
            text = ""
        elif len(node) == 1 and node[0].tag == TEXT_TAG:
            text = node[0].text or ""
        else:
            text = Text.from_tree(node).content
        strings.append(text.replace("x005F_", ""))
        table.clear()
        elements = 0
    return strings


class _NotASheet:
    """A chartsheet of the workbook, in its place among the sheets but not read: an import reads
    a data sheet (4,000 chartsheets, each read, took 8 s)."""

    def __init__(self, title):
        self.title = title
        self.sheet_state = "visible"
        self.defined_names = DefinedNameDict()


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet opened without openpyxl's look for its <dimension>: in a sheet without
    one that look parses the whole sheet (a row of four million cells: 8 s and 560 MB) before
    `_BoundedSheetParser` reads a row. Its range stays unknown, as `reset_dimensions()` leaves
    it: every row the sheet holds is read (`_sheet_values`)."""

    def _get_size(self):
        pass

    def _get_source(self):
        return self.parent._archive.streamed(self._worksheet_path)


class _RowsOnlyReader(ExcelReader):
    """openpyxl's workbook reader (`load_workbook`), read-only, through a `_GuardedArchive`,
    reading what an import needs: the shared strings (`_string_table`) and the data sheets, as
    `_UnsizedSheet`s (at most MAX_XLSX_SHEETS); not external links (a hundred references to one
    link were read a hundred times: 31 s in an 80 KB file) nor chartsheets."""

    def __init__(self, fn, deadline: float, **kwargs):
        super().__init__(fn, keep_links=False, **kwargs)
        self.archive = _GuardedArchive(self.archive)
        self.deadline = deadline

    def read_strings(self):
        found = self.package.find(SHARED_STRINGS)
        if found is not None:
            path = found.PartName[1:]
            self.archive.allowed[path] = MAX_XLSX_SHARED_STRINGS_BYTES
            with self.archive.open(path) as source:
                self.shared_strings = _string_table(source, self.deadline)

    def read_worksheets(self):
        sheets = list(self.parser.find_sheets())
        if len(sheets) > MAX_XLSX_SHEETS:
            raise ImportRefused(
                f"XLSX 文件有 {len(sheets)} 个工作表，超过 {MAX_XLSX_SHEETS} 个，请只保留要导入的工作表。"
            )
        for sheet, rel in sheets:
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.wb._sheets.append(_NotASheet(sheet.name))
                continue
            worksheet = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


class _BoundedSheetParser(WorkSheetParser):
    """openpyxl's parser of a sheet, reading its rows alone (an import has no use for the rest:
    the read ends with them), refusing the sheet as it is parsed, before openpyxl builds a row:
    - a row of more than MAX_XLSX_ELEMENTS_PER_ROW elements, or as many outside the rows in all;
    - more than MAX_READ_ROWS rows, those a row of an earlier number leaves out included;
    - past the read's `deadline`, or deeper than MAX_XML_DEPTH (`_bounded_events`).
    Each row read is dropped from the tree with what came before it, so the memory held is that
    of one row."""

    def parse(self, deadline: float):
        data, in_row, inside, outside, rows = None, False, 0, 0, 0
        for event, element in _bounded_events(self.source, deadline):
            if event == "start":
                if element.tag == ROW_TAG:
                    in_row = True
                elif data is None and element.tag == DATA_TAG:
                    data = element
                continue
            if element.tag == ROW_TAG:
                if (rows := rows + 1) > MAX_READ_ROWS:
                    raise _too_many_rows()
                yield self.parse_row(element)
                element.clear()
                if data is not None:
                    data.clear()
                in_row, inside = False, 0
                continue
            if element is data:
                return
            if in_row:
                inside += 1
            else:
                outside += 1
            if max(inside, outside) > MAX_XLSX_ELEMENTS_PER_ROW:
                raise ImportRefused(_XLSX_CROWDED)


def _sheet_values(sheet, deadline: float):
    """The values of every row of the read-only `sheet`, as openpyxl's `iter_rows(values_only=True)`
    gives them with its range unknown (every row the sheet holds, not only the range its
    <dimension> claims: a file claiming less would lose rows silently), parsed by
    `_BoundedSheetParser`. A row the sheet leaves out is an empty one; the limits of
    `build_dataset` bound the read."""
    book = sheet.parent
    with sheet._get_source() as source:
        parser = _BoundedSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        expected = 1
        for number, cells in parser.parse(deadline):
            for _ in range(expected, number):
                yield ()
            if number >= expected:
                yield sheet._get_row(cells, values_only=True)
                expected = number + 1


class DatabaseStorage(BaseStorage):
    """Keeps an uploaded file in the database between preview and confirm (no file on disk)."""

    def save(self, data):
        ImportUpload.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
        self.name = self.name or uuid.uuid4().hex
        ImportUpload.objects.update_or_create(name=self.name, defaults={"data": data})

    def read(self):
        return bytes(ImportUpload.objects.get(name=self.name).data)

    def remove(self):
        ImportUpload.objects.filter(name=self.name).delete()


class ChoicesWidget(widgets.Widget):
    """Exports a choice as its Chinese label and imports it from the label (or the stored value)."""

    def __init__(self, choices, **kwargs):
        self.choices = [(str(value), str(label)) for value, label in choices]
        # Blank choices import as "" (see clean), whatever CharWidget's allow_blank would say.
        kwargs.pop("allow_blank", None)
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        value = str(value or "").strip()
        if not value:
            return ""
        for stored, label in self.choices:
            if value in (label, stored):
                return stored
        raise ValueError(f"“{value}”不是有效选项，可选：{'、'.join(label for _, label in self.choices)}。")

    def render(self, value, obj=None, **kwargs):
        return dict(self.choices).get(str(value), "" if value is None else value)


def _not_found(model, keys) -> ValueError:
    return ValueError(f"找不到{model._meta.verbose_name}“{'、'.join(map(str, keys))}”，或不在您的权限范围内。")


def _natural_key(value) -> str:
    return "" if value is None else str(value).strip()


def _split_keys(value) -> list[str]:
    return [key.strip() for key in str(value or "").replace("，", ",").split(",") if key.strip()]


def _visible(widget):
    return visible(widget.model._default_manager.all(), widget.user)


def _lookup(widget, keys) -> dict:
    """The widget's related rows by natural key, within what its user may see: one query for
    the keys not looked up yet in this import, None for a key that matches nothing.

    A model with a `natural_name_field` (organizations) is also found by what people type: its
    full name, or the end of exactly one name within the user's scope (华元社区第一党支部 for
    元和街道华元社区第一党支部); a name that fits several rows matches none and is kept in
    `_ambiguous` with the names it fits, for the message."""
    found = widget.__dict__.setdefault("_found", {})
    ambiguous = widget.__dict__.setdefault("_ambiguous", {})
    # A NUL byte cannot travel to PostgreSQL; such a key simply matches nothing.
    wanted = {key for key in keys if key and key not in found and "\x00" not in key}
    if wanted:
        by_key = defaultdict(list)
        for row in _visible(widget).filter(**{f"{widget.field}__in": wanted}):
            by_key[str(getattr(row, widget.field))].append(row)
        for key in wanted:
            rows = by_key.get(key, [])
            found[key] = rows[0] if len(rows) == 1 else None
            # A key that is not unique (a title several projects share) names none of its rows,
            # so nothing is ever put on the wrong one.
            if len(rows) > 1:
                ambiguous[key] = sorted(str(row) for row in rows)
        named = getattr(widget.model, "natural_name_field", None)
        unmatched = sorted(key for key in wanted if found[key] is None and key not in ambiguous)
        if named and unmatched:
            _lookup_by_name(widget, named, unmatched, found)
    return found


def _lookup_by_name(widget, named: str, keys: list[str], found: dict) -> None:
    """`keys` looked up by the end of their rows' names, in one query (a full name is its own end)."""
    ambiguous = widget.__dict__["_ambiguous"]
    rows = list(_visible(widget).filter(reduce(or_, (Q(**{f"{named}__endswith": key}) for key in keys))))
    for key in keys:
        fits = [row for row in rows if getattr(row, named).endswith(key)]
        exact = [row for row in fits if getattr(row, named) == key]
        fits = exact or fits
        if len(fits) == 1:
            found[key] = fits[0]
        elif fits:
            ambiguous[key] = sorted(getattr(row, named) for row in fits)


def _not_found_or_ambiguous(widget, keys) -> ValueError:
    ambiguous = widget.__dict__.get("_ambiguous", {})
    unclear = [key for key in keys if key in ambiguous]
    if unclear:
        key = unclear[0]
        names = "、".join(ambiguous[key][:5]) + ("等" if len(ambiguous[key]) > 5 else "")
        label = widget.model._meta.verbose_name
        if hasattr(widget.model, "natural_name_field"):
            return ValueError(f"{label}“{key}”不唯一，可能是：{names}。请填写{label}代码或全称。")
        return ValueError(f"有多个{label}为“{key}”，无法确定是哪一个：{names}。请先修改，使之不重名。")
    return _not_found(widget.model, keys)


def _takes_names(widget) -> bool:
    """A one-row natural key to a model also found by its name (`natural_name_field`)."""
    return isinstance(widget, NaturalKeyWidget) and hasattr(widget.model, "natural_name_field")


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """Matches a related row by its natural key, within what the importing user may see. The
    resource preloads every key of the file's column in one query (`preload`, called by
    ScopedResource.before_import): a 25,000-row roster names about a thousand organizations."""

    user = None

    def get_queryset(self, value, row, *args, **kwargs):
        return _visible(self)

    def preload(self, column) -> None:
        _lookup(self, {_natural_key(value) for value in column})

    def clean(self, value, row=None, **kwargs):
        key = _natural_key(value)
        if not key:
            return None
        found = _lookup(self, [key]).get(key)
        if found is None:
            raise _not_found_or_ambiguous(self, [key])
        return found.pk if self.key_is_id else found


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """Many related rows by natural key, separated by commas, within what the user may see."""

    user = None

    def render(self, value, obj=None, **kwargs):
        # In key order, as the SQL export aggregates them (sqlexport._many_keys).
        if value is None:
            return ""
        return self.separator.join(sorted(str(getattr(related, self.field)) for related in value.all()))

    def preload(self, column) -> None:
        _lookup(self, {key for value in column for key in _split_keys(value)})

    def clean(self, value, row=None, **kwargs):
        keys = list(dict.fromkeys(_split_keys(value)))
        found = _lookup(self, keys)
        missing = sorted(key for key in keys if found.get(key) is None)
        if missing:
            raise _not_found_or_ambiguous(self, missing)
        return [found[key] for key in keys]


DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"]


class DateWidget(widgets.DateWidget):
    """Dates as Excel and WPS users type them; XLSX date cells arrive as dates already."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        for date_format in DATE_FORMATS:
            try:
                return datetime.strptime(text, date_format).date()  # noqa: DTZ007 (a date, no time zone)
            except ValueError:
                continue
        raise ValueError(f"“{text}”不是有效日期，请写成 2020-05-17 这样的格式。")


class ChineseNumberMessage:
    """Numbers the library cannot parse get a Chinese message (and a validation error, not a crash)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (ValueError, ArithmeticError):
            raise ValueError(f"“{value}”不是有效数字。") from None


class IntegerWidget(ChineseNumberMessage, widgets.IntegerWidget):
    pass


class DecimalWidget(ChineseNumberMessage, widgets.DecimalWidget):
    pass


class BooleanWidget(widgets.BooleanWidget):
    TRUE_VALUES = ["1", 1, True, "true", "TRUE", "True", "是", "有", "Y", "y"]
    FALSE_VALUES = ["0", 0, False, "false", "FALSE", "False", "否", "无", "N", "n"]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "是" if value else "否"


class UniqueValues:
    """The values of one unique model field that a file's rows may collide with, looked up in one
    query for the whole file and unscoped, as Django's own unique check: an ID number held by a
    member outside the user's scope is refused all the same. A value an earlier row of the file
    took counts as taken too (the rows are not all saved yet when a later one is checked)."""

    def __init__(self, field):
        self.field = field
        self.looked_up = set()
        self.owners = {}  # value: primary key of the row holding it in the table
        self.taken = {}  # value: the instance of the earlier row of the file that holds it

    def preload(self, column) -> None:
        """Look up the column's values as written and as a model's clean() typically normalizes
        them (stripped, without spaces, upper-case). Any other value a row ends up with is
        looked up by itself when that row is checked."""
        values = set()
        for cell in column:
            text = "" if cell is None else str(cell)
            for variant in {text, text.strip(), "".join(text.split()).upper()}:
                try:
                    values.add(self.field.to_python(variant))
                except ValidationError:
                    pass
        self._look_up(values)

    def _look_up(self, values) -> None:
        # A NUL byte cannot travel to PostgreSQL; such a value fails the field's own checks.
        values = {value for value in values if value not in self.looked_up and "\x00" not in str(value)}
        if values:
            holders = self.field.model._default_manager.order_by().filter(**{f"{self.field.attname}__in": values})
            self.owners.update(holders.values_list(self.field.attname, "pk"))
            self.looked_up |= values

    def taken_by_other(self, instance) -> bool:
        value = getattr(instance, self.field.attname)
        if value is None:
            return False
        if value not in self.looked_up:
            self._look_up({value})
        owner = self.owners.get(value)
        if owner is not None and (instance._state.adding or owner != instance.pk):
            return True
        earlier = self.taken.get(value)
        return earlier is not None and earlier is not instance and (earlier.pk is None or earlier.pk != instance.pk)

    def take(self, instance) -> None:
        value = getattr(instance, self.field.attname)
        if value is not None:
            self.taken.setdefault(value, instance)


class ScopedResource(resources.ModelResource):
    """The base of every resource: Chinese headers, labels for choices, natural keys, scoping
    and masking of personal numbers for the user the resource is made for."""

    def __init__(self, user=None, progress=None, preview_version=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        # At confirm: the audit version of the table when the file was previewed
        # (xiangcheng/edits.py); rows edited since then make the import ask again.
        self.preview_version = preview_version
        self._started_version = None
        # Where a long import reports how far it is (xiangcheng/progress.py); by default nowhere.
        self.progress = progress or Progress()
        self._total_rows = 0
        self._written = 0
        for field in self.fields.values():
            if isinstance(field.widget, NaturalKeyWidget | NaturalKeysWidget):
                field.widget.user = user
        # Each organization code's name column (see get_export_fields), by the code's field name.
        self._name_columns = {}
        for name, field in list(self.fields.items()):
            named = self._name_column(field)
            if named is not None:
                self._name_columns[name] = named
                self.fields[f"{name}__name_column"] = named

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        field.column_name = str(django_field.verbose_name)
        if django_field.many_to_one and hasattr(django_field.related_model, "natural_key_field"):
            # The library would read and write the raw id ("organization_id") and export it as a
            # number; a natural key travels both ways instead.
            field.attribute = field_name
            field.widget.key_is_id = False
        return field

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.choices:
            return ChoicesWidget
        if f.many_to_many and hasattr(f.related_model, "natural_key_field"):
            return NaturalKeysWidget
        if f.is_relation and hasattr(f.related_model, "natural_key_field"):
            return NaturalKeyWidget
        internal_type = f.get_internal_type()
        if internal_type == "BooleanField":
            return BooleanWidget
        if internal_type == "DateField":
            return DateWidget
        if internal_type == "DecimalField":
            return DecimalWidget
        if isinstance(f, models.IntegerField):  # every integer field (small, big, positive) subclasses it
            return IntegerWidget
        return super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if django_field.choices:
            # ChoicesWidget reads a blank cell itself; the library's options for blank CharFields
            # (allow_blank, coerce_to_string) are not its arguments.
            kwargs = {"choices": django_field.choices}
        if django_field.is_relation and hasattr(django_field.related_model, "natural_key_field"):
            kwargs["model"] = django_field.related_model
            kwargs["field"] = django_field.related_model.natural_key_field
        return kwargs

    def get_queryset(self):
        return visible(super().get_queryset(), self.user)

    def get_import_fields(self):
        # The library builds this list anew each time it is asked, several times per row.
        if "_import_fields" not in self.__dict__:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    @cached_property
    def unique_values(self) -> dict[str, "UniqueValues"]:
        """The model's unique fields checked in sets, by name: not the primary key, a relation or
        a field of a unique_together, which Django's `validate_unique` still checks itself."""
        opts = self._meta.model._meta
        together = {name for names in opts.unique_together for name in names}
        return {
            field.name: UniqueValues(field)
            for field in opts.local_fields
            if field.unique and not field.primary_key and not field.is_relation and field.name not in together
        }

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        """The library's, after the checks of the file as a whole (`check_dataset`): a file they
        refuse is not read row by row, and its result holds their message alone."""
        try:
            self.check_dataset(dataset)
        except ImportRefused as refused:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            self.handle_import_error(result, refused, raise_errors)
            return result
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    def check_dataset(self, dataset) -> None:
        """Refuse (ImportRefused) a file that cannot be imported as a whole, before any row is
        read. Here: a file with masked personal numbers (320507***********4, as an export shows
        them to a user who may not see them in full), which would match and save no row right."""
        masked = {}  # column: the numbers of the rows holding a masked number
        for field in self.get_import_fields():
            if field.readonly or field.column_name not in dataset.headers or not self._personal_kind(field):
                continue
            rows = [number for number, cell in enumerate(dataset[field.column_name], 1) if MASK in str(cell or "")]
            if rows:
                masked[field.column_name] = rows
        if masked:
            column, rows = next(iter(masked.items()))
            example = dataset[column][rows[0] - 1]
            more = "等" if len(rows) > 5 else ""
            raise ImportRefused(
                f"文件中的{'、'.join(masked)}是隐去了部分数字的号码（如“{example}”，在“{column}”列第 "
                f"{'、'.join(map(str, rows[:5]))} 条数据{more}），无法导入。"
                "请由有权查看完整号码的用户导出后再导入，或在文件中填写完整号码。"
            )

    def before_import(self, dataset, **kwargs):
        """Look up, once for the whole file, what its rows are checked against: the related rows
        their natural keys name (within the user's scope) and the existing values of the unique
        fields (in the whole table)."""
        super().before_import(dataset, **kwargs)
        if self.preview_version is not None and not kwargs.get("dry_run"):
            self._started_version = table_version(self._meta.model)
        self._total_rows = len(dataset)
        self.progress.report(self._total_rows, read=self._total_rows)
        headers = set(dataset.headers or ())
        for field in self.get_import_fields():
            if field.readonly or field.column_name not in headers:
                continue
            if isinstance(field.widget, NaturalKeyWidget | NaturalKeysWidget):
                field.widget.preload(dataset[field.column_name])
            if field.attribute in self.unique_values:
                self.unique_values[field.attribute].preload(dataset[field.column_name])

    def get_instance(self, instance_loader, row):
        """The library's, but a matching column whose value cannot be read (an organization not
        found, a year that is not a number) is an error of that column in that row, as in any
        other column, not an error of the import (which the library numbers by the rows it kept)."""
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            errors = {}
            for name in self.get_import_id_fields():
                field = self.fields[name]
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = ValidationError(str(error), code="invalid")
            if not errors:
                raise
            raise ValidationError(errors) from None

    @cached_property
    def _natural_key_fields(self) -> list[tuple[str, str]]:
        """(attribute, attribute holding the related row's id) of each field matched by natural key."""
        pairs = []
        for field in self.fields.values():
            if isinstance(field.widget, NaturalKeyWidget) and field.attribute:
                try:
                    attname = self._meta.model._meta.get_field(field.attribute).attname
                except FieldDoesNotExist:
                    attname = field.attribute
                pairs.append((field.attribute, attname))
        return pairs

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The library's check (`full_clean`), without its queries per row:
        - a related row matched by its natural key within the user's scope exists, so its foreign
          key is not looked up again;
        - unique fields are compared with the values looked up for the whole file (UniqueValues),
          with the message Django's own check gives; `validate_unique` checks only what is left.
        `Meta.validate_constraints = False` skips the per-row constraint queries of a model whose
        `clean()` checks the same rules (the database still enforces them)."""
        errors = dict(import_validation_errors or {})
        matched = {
            attribute for attribute, attname in self._natural_key_fields if getattr(instance, attname, None) is not None
        }
        exclude = {*errors, *matched}
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Then, as full_clean does, the unique and constraint checks of the fields that passed.
        if validate_unique:
            exclude |= set(errors) - {NON_FIELD_ERRORS}
            try:
                self.validate_unique(instance, exclude)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if getattr(self._meta, "validate_constraints", True):
            exclude |= set(errors) - {NON_FIELD_ERRORS}
            try:
                instance.validate_constraints(exclude=exclude)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        for unique in self.unique_values.values():
            unique.take(instance)

    def validate_unique(self, instance, exclude: set) -> None:
        """Django's unique checks of `instance`: in sets for `unique_values`, by Django for the rest."""
        errors = {}
        for name, unique in self.unique_values.items():
            if name not in exclude and unique.taken_by_other(instance):
                errors[name] = [instance.unique_error_message(self._meta.model, (name,))]
        try:
            instance.validate_unique(exclude={*exclude, *self.unique_values})
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    @cached_property
    def _compared_fields(self) -> list:
        """The import fields skip_row compares, each with the model attribute to compare (a
        related row's id rather than the row, so no query) or None to ask the field (many-to-many)."""
        compared = []
        for field in self.get_import_fields():
            if field.readonly or not field.attribute:
                continue  # never written by an import, so never changed by one
            try:
                model_field = self._meta.model._meta.get_field(field.attribute)
            except FieldDoesNotExist:
                # A value only an import carries (a new parent, a new rank): the stored row has
                # none to compare with, so the resource's own skip_row compares it.
                continue
            concrete = model_field.concrete and not model_field.many_to_many
            compared.append((field, model_field.attname if concrete else None))
        return compared

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """The library's rule: an existing row whose imported values are all unchanged is not
        saved again (it would write an audit event). Asked for existing rows only, and compared
        without a query except for many-to-many links."""
        if not self._meta.skip_unchanged or import_validation_errors or original is None:
            return False
        for field, attname in self._compared_fields:
            if isinstance(field.widget, widgets.ManyToManyWidget):
                if field.column_name not in row:
                    continue
                before = getattr(original, field.attribute).values_list("pk", flat=True)
                if sorted(related.pk for related in field.clean(row)) != sorted(before):
                    return False
            elif attname is not None:
                if getattr(instance, attname) != getattr(original, attname):
                    return False
            elif field.get_value(instance) != field.get_value(original):
                return False
        return True

    def import_row(self, row, instance_loader, **kwargs):
        """The library's import_row (4.4) without its costs per row. An existing row's original
        is a shallow copy (Model.__getstate__ copies `_state` and the related-row cache), a new
        row has none, and the diff is computed only when the preview shows it. Errors are keyed
        by the Chinese column names."""
        row_result = self.get_row_result_class()()
        if self._meta.store_row_values:
            row_result.row_values = row
        store_instance = self._meta.store_instance or kwargs.get("retain_instance_in_row_result", False)
        show_diff = not self._meta.skip_diff and not self._meta.skip_html_diff
        try:
            self.before_import_row(row, **kwargs)
            instance, new = self.get_or_init_instance(instance_loader, row)
            self.after_init_instance(instance, new, row, **kwargs)
            row_result.import_type = RowResult.IMPORT_TYPE_NEW if new else RowResult.IMPORT_TYPE_UPDATE
            original = None if new else copy.copy(instance)
            diff = self.get_diff_class()(self, original or instance, new) if show_diff else None
            if self.for_delete(row, instance):
                if new:
                    row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                else:
                    row_result.import_type = RowResult.IMPORT_TYPE_DELETE
                    row_result.add_instance_info(instance)
                    if store_instance:
                        row_result.instance = copy.copy(instance)
                    self.delete_instance(instance, row, **kwargs)
                if diff:
                    diff.compare_with(self, None)
            else:
                import_errors = {}
                try:
                    self.import_instance(instance, row, **kwargs)
                except ValidationError as error:
                    import_errors = error.update_error_dict(import_errors)
                if self.skip_row(instance, original, row, import_errors):
                    row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                else:
                    self.validate_instance(instance, import_errors)
                    self.save_instance(instance, new, row, **kwargs)
                    self.save_m2m(instance, row, **kwargs)
                row_result.add_instance_info(instance)
                if store_instance:
                    row_result.instance = instance
                if diff:
                    diff.compare_with(self, instance)
                if original is not None and not self._meta.skip_diff:
                    row_result.original = original
            if diff:
                row_result.diff = diff.as_html()
            self.after_import_row(row, row_result, **kwargs)
        except ValidationError as error:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = self.by_column(error)
        except Exception as error:
            row_result.import_type = RowResult.IMPORT_TYPE_ERROR
            # After a failed statement every later row fails the same way; the first one says why.
            if not isinstance(error, TransactionManagementError):
                logger.debug(error, exc_info=True)
            row_result.errors.append(self.get_error_result_class()(error, row=row, number=kwargs["row_number"]))
        self._report_row(row_result, kwargs)
        return row_result

    def after_import(self, dataset, result, **kwargs):
        """A large write ends with fresh planner statistics (xiangcheng/maintenance.py): until
        autovacuum comes by, PostgreSQL would plan the next pages for the table it knew before."""
        super().after_import(dataset, result, **kwargs)
        self._check_no_row_changed_since_preview(result)
        if self._written >= ANALYZE_AFTER_ROWS:
            analyze(self._meta.model)

    def _check_no_row_changed_since_preview(self, result) -> None:
        if self._started_version is None:
            return
        touched = {
            row.object_id: row
            for row in result.rows
            if row.import_type in (RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_DELETE)
        }
        changed = changed_between(self._meta.model, touched, self.preview_version, self._started_version)
        if changed:
            names = "、".join(sorted(str(touched[pk].object_repr) for pk in changed)[:5])
            more = f"等 {len(changed)} 条" if len(changed) > 5 else ""
            raise ImportConflict(
                f"自预览以来，本次导入要更新的记录已被他人修改（{names}{more}）。"
                "为免覆盖他人的修改，本次导入没有写入任何数据；请重新上传文件，核对预览后再确认导入。"
            )

    def _report_row(self, row_result, kwargs) -> None:
        number, total = kwargs["row_number"], self._total_rows
        saved_now = not self._meta.use_bulk and not kwargs.get("dry_run")
        if saved_now and row_result.import_type in WRITTEN:
            self._written += 1
        if number % REPORT_EVERY == 0 or number == total:
            self.progress.report(total, validated=number, **({"written": self._written} if saved_now else {}))

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        rows = len(self.create_instances)
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)
        self._report_written(rows, dry_run)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        rows = len(self.update_instances)
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)
        self._report_written(rows, dry_run)

    def _report_written(self, rows: int, dry_run: bool) -> None:
        # A preview's trial insert is rolled back: nothing written to tell the user about.
        if rows and not dry_run:
            self._written += rows
            self.progress.report(self._total_rows, written=self._written)

    @cached_property
    def _column_names(self) -> dict[str, str]:
        names = {field.name: str(field.verbose_name) for field in self._meta.model._meta.fields}
        for name, field in self.fields.items():
            names[name] = names[field.attribute] = field.column_name
        return names

    def by_column(self, error: ValidationError) -> ValidationError:
        """Key a row's errors by the Chinese column names the user sees, not by field names."""
        if not hasattr(error, "error_dict"):
            return error
        names = self._column_names
        return ValidationError({names.get(key, key): messages for key, messages in error.message_dict.items()})

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        kind = self._personal_kind(field)
        if kind and value and not self.full_numbers:
            if isinstance(field.widget, NaturalKeysWidget):
                return field.widget.separator.join(MASKS[kind](key) for key in str(value).split(field.widget.separator))
            return MASKS[kind](value)
        return value

    @cached_property
    def full_numbers(self) -> bool:
        """Whether the user may see personal numbers unmasked: asked once per export, not per cell."""
        return can_see_full_numbers(self.user)

    def get_export_fields(self, selected_fields=None):
        """The library's, with a related organization's name beside its code (所在党组织名称),
        so that a file reads without a code list; an import of the file passes the name over."""
        added = list(self._name_columns.values())
        fields = []
        for field in super().get_export_fields(selected_fields):
            if field not in added:
                fields.append(field)
                named = self._name_columns.get(self.get_field_name(field))
                fields += [named] if named is not None else []
        return fields

    def get_bulk_update_fields(self):
        added = {f"{name}__name_column" for name in self._name_columns}
        fields = [name for name in super().get_bulk_update_fields() if name not in added]
        if issubclass(self._meta.model, PinyinNamed):
            fields += ["name_pinyin", "name_initials"]  # filled by import_instance
        return fields

    def import_instance(self, instance, row, **kwargs):
        """The library's, with the many-to-many columns read here too: the library reads them only
        as it saves them, where a value it cannot read is an error of the import, not of its
        column and row."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._many_to_many_fields:
            if field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [ValidationError(str(error), code="invalid")]
        if errors:
            raise ValidationError(errors)
        if isinstance(instance, PinyinNamed):
            # A bulk import writes without save(), which fills them otherwise.
            instance.fill_name_pinyin()

    @cached_property
    def _many_to_many_fields(self) -> list:
        """The import's many-to-many columns (the roster has none), found once, not once a row."""
        return [
            field
            for field in self.get_import_fields()
            if isinstance(field.widget, widgets.ManyToManyWidget) and not field.readonly
        ]

    def required_headers(self) -> tuple:
        """The columns a file for this resource must have (`Meta.required_headers`): what the
        import checks, its page lists and its template marks."""
        return tuple(getattr(self._meta, "required_headers", ()))

    def accepted_headers(self) -> tuple:
        """The columns an import of this resource takes: its own, and the names its exports add."""
        names = [field.column_name for field in self._name_columns.values()]
        return tuple(dict.fromkeys([*(field.column_name for field in self.get_user_visible_fields()), *names]))

    def columns_taking_names(self) -> list[str]:
        """The import columns whose organization may be given by its name (`_lookup`)."""
        return [field.column_name for field in self.get_import_fields() if _takes_names(field.widget)]

    def _name_column(self, field) -> Field | None:
        """A read-only column with the name of the row `field` names by code, for a model that has
        a name people read (`natural_name_field`) and a real relation to follow."""
        if not _takes_names(field.widget) or not field.attribute:
            return None
        named = field.widget.model.natural_name_field
        try:
            if not self._meta.model._meta.get_field(field.attribute).is_relation:
                return None
        except FieldDoesNotExist:
            return None  # a value only an import carries (OrganizationResource's parent)
        column = str(field.column_name).removesuffix("代码") + "名称"
        return Field(attribute=f"{field.attribute}__{named}", column_name=column, readonly=True)

    def _personal_kind(self, field) -> str | None:
        """The kind of personal number a column holds: the model's own, or a related row's natural
        key when that key is a personal number (a member linked by ID number)."""
        kind = getattr(self._meta.model, "personal_fields", {}).get(field.attribute)
        if kind is None and isinstance(field.widget, NaturalKeyWidget | NaturalKeysWidget):
            kind = getattr(field.widget.model, "personal_fields", {}).get(field.widget.field)
        return kind

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False
        use_transactions = True
