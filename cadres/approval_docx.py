"""The 干部任免审批表 as a Word document (DOCX) in the standard layout, which Word and WPS open and
print on A4: page 1 the personal data with the photo box, education, current, proposed and
removed posts and the résumé; page 2 rewards and punishments, annual evaluations, reasons, the
family table and the opinion boxes, then the 填表人 line. Real tables with fixed column widths;
every run names its East Asian font (w:eastAsia), or Word and WPS would fall back to a Latin one.
"""

import io
import zipfile
from collections.abc import Iterable, Iterator

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from cadres.approval import ApprovalForm

FONT = "宋体"
TITLE = "干部任免审批表"
BODY_SIZE = Pt(10.5)  # 五号
TITLE_SIZE = Pt(22)  # 二号
# A4, with the margins the form is usually printed with.
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGINS = {"top": Cm(2.0), "bottom": Cm(1.8), "left": Cm(2.2), "right": Cm(2.0)}
# Column widths (cm) of each page's table; each adds up to the text width, 16.8 cm.
PAGE_ONE_COLUMNS = [2.2, 2.4, 2.2, 2.4, 2.2, 2.4, 3.0]
PAGE_TWO_COLUMNS = [2.2, 1.6, 2.0, 1.2, 2.2, 7.6]
ROW = 0.95  # cm, the height of a row of the personal-data grid
RESUME_HEIGHT = 15.0  # cm, at least: the rest of page 1
SEAL = ["（盖章）", "年　　月　　日"]
NO_SPACE = Pt(0)

CENTER, LEFT, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
TOP, MIDDLE = WD_CELL_VERTICAL_ALIGNMENT.TOP, WD_CELL_VERTICAL_ALIGNMENT.CENTER


def approval_docx(form: ApprovalForm) -> bytes:
    """The filled-in form as the bytes of a .docx file."""
    document = Document()
    _page_setup(document)
    _title(document)
    _page_one(document, form)
    # Page 2 starts on a new page; the paragraph also keeps the two tables apart (adjacent ones merge).
    breaker = document.add_paragraph()
    breaker.paragraph_format.page_break_before = True
    _format(breaker, size=Pt(2))
    _page_two(document, form)
    signer = document.add_paragraph()
    _format(signer, space_before=Pt(6))
    _run(signer, "填表人：")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def approval_zip(forms: Iterable[ApprovalForm]) -> Iterator[bytes]:
    """A ZIP of one DOCX per form, named 姓名-干部任免审批表.docx (namesakes numbered), as it is
    written: each form's bytes go out as soon as it is made, so a large batch starts at once."""
    sink = _Sink()
    taken: dict[str, int] = {}
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for form in forms:
            taken[form.name] = taken.get(form.name, 0) + 1
            name = form.filename if taken[form.name] == 1 else f"{form.name}（{taken[form.name]}）-{TITLE}.docx"
            archive.writestr(name, approval_docx(form))
            yield sink.take()
    yield sink.take()


class _Sink:
    """Where a ZipFile writes without seeking back (it then puts each size after the file's data)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


# Layout -------------------------------------------------------------------------------------------


def _page_setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = section.footer_distance = Cm(1.0)
    # Every paragraph single-spaced with no space around it, in FONT at BODY_SIZE, unless it says otherwise.
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _east_asian(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = NO_SPACE
    normal.paragraph_format.line_spacing = 1.0
    properties = document.core_properties
    properties.title = TITLE
    properties.author = properties.last_modified_by = ""
    properties.comments = ""
    properties.created = properties.modified = timezone.now()


def _title(document) -> None:
    paragraph = document.add_paragraph()
    _format(paragraph, align=CENTER, space_after=Pt(8))
    _run(paragraph, TITLE, size=TITLE_SIZE, bold=True)


def _page_one(document, form: ApprovalForm) -> None:
    table, cell = _table(document, rows=10, widths=PAGE_ONE_COLUMNS)
    grid = [
        [("姓名", form.name), ("性别", form.sex), ("出生年月（岁）", form.birth)],
        [("民族", form.ethnicity), ("籍贯", form.native_place), ("出生地", form.birthplace)],
        [("入党时间", form.joined_party), ("参加工作时间", form.started_work), ("健康状况", form.health)],
    ]
    # The age on a line of its own under the month, as the narrow cell would break it anyway.
    grid[0][2] = ("出生年月\n（岁）", form.birth.replace("（", "\n（", 1))
    for row, pairs in enumerate(grid):
        for n, (label, value) in enumerate(pairs):
            _label(cell(row, 2 * n), label)
            _value(cell(row, 2 * n + 1), value)
    _label(cell(3, 0), "专业技术职务")
    _value(cell(3, 1).merge(cell(3, 2)), form.technical_title)
    _label(cell(3, 3), "熟悉专业有何专长")
    _value(cell(3, 4).merge(cell(3, 5)), form.expertise)
    # The photo box: rows 1–4 of the last column, left blank to paste a photo in. A space, since
    # LibreOffice draws no box for a merged cell without a character.
    _value(cell(0, 6).merge(cell(3, 6)), " ")

    _label(cell(4, 0).merge(cell(5, 0)), "学历\n学位")
    for row, (kind, education, school) in enumerate(
        [
            ("全日制\n教育", form.full_time_education, form.full_time_school),
            ("在职\n教育", form.in_service_education, form.in_service_school),
        ],
        start=4,
    ):
        _label(cell(row, 1), kind)
        _value(cell(row, 2).merge(cell(row, 3)), education)
        _label(cell(row, 4), "毕业院校\n系及专业")
        _value(cell(row, 5).merge(cell(row, 6)), school, align=LEFT)
        _height(table.rows[row], 1.2)

    for row, (label, value) in enumerate(
        [("现任职务", form.current_post), ("拟任职务", form.proposed_post), ("拟免职务", form.removed_post)], start=6
    ):
        _label(cell(row, 0), label)
        _value(cell(row, 1).merge(cell(row, 6)), value, align=LEFT)

    _label(cell(9, 0), "简\n\n\n\n历")
    _value(cell(9, 1).merge(cell(9, 6)), "\n".join(form.resume), align=LEFT, valign=TOP)
    _height(table.rows[9], RESUME_HEIGHT, can_split=True)


def _page_two(document, form: ApprovalForm) -> None:
    family = form.family_rows
    # Rewards, evaluations, reasons; the family header and its rows; two rows of opinion boxes.
    table, cell = _table(document, rows=3 + 1 + len(family) + 2, widths=PAGE_TWO_COLUMNS)
    for row, (label, value, height) in enumerate(
        [
            ("奖惩\n情况", form.rewards, 3.6),
            ("年度考核\n结果", form.evaluations, 1.6),
            ("任免\n理由", form.reasons, 2.6),
        ]
    ):
        _label(cell(row, 0), label)
        _value(cell(row, 1).merge(cell(row, 5)), value, align=LEFT, valign=TOP)
        _height(table.rows[row], height)

    header = 3
    last_family = header + len(family)
    _label(cell(header, 0).merge(cell(last_family, 0)), "家庭主要成员及重要社会关系")
    for column, label in enumerate(["称谓", "姓名", "年龄", "政治面貌", "工作单位及职务"], start=1):
        _label(cell(header, column), label)
    for row, person in enumerate(family, start=header + 1):
        values = ["", "", "", "", ""] if person is None else list(_family_cells(person))
        for column, value in enumerate(values, start=1):
            _value(cell(row, column), value, align=LEFT if column == 5 else CENTER)
        _height(table.rows[row], 0.85)

    submitting = last_family + 1
    _label(cell(submitting, 0), "呈报\n单位")
    _seal(cell(submitting, 1).merge(cell(submitting, 5)))
    _height(table.rows[submitting], 3.2)

    approving = submitting + 1
    _label(cell(approving, 0), "审批机关\n意见")
    _seal(cell(approving, 1).merge(cell(approving, 3)))
    _label(cell(approving, 4), "行政机关\n任免意见")
    _seal(cell(approving, 5))
    _height(table.rows[approving], 4.8)


def _family_cells(person) -> tuple[str, ...]:
    return person.relation, person.name, person.age, person.political_status, person.work


def _seal(cell) -> None:
    """An opinion box: room to write, then (盖章) and the date line at its foot, right-aligned."""
    _value(cell, "\n\n\n" + "\n".join(SEAL), align=RIGHT, valign=TOP)
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.right_indent = Cm(0.8)


# Building blocks ----------------------------------------------------------------------------------


def _table(document, *, rows: int, widths: list[float]):
    """A table of `rows` rows with columns of `widths` cm, and `cell(row, column)`: its cells as
    they stand before any merge. Merge only through them, from the top-left cell of each range,
    and write to that cell: python-docx's own `table.cell()` walks the whole table on every call."""
    table = document.add_table(rows=rows, cols=len(widths))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Fixed layout (w:tblLayout): the widths below hold whatever the text.
    table.autofit = False
    # LibreOffice reads the grid's widths, Word and WPS the cells'; both are given.
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = Cm(width)
    cells = table._cells
    grid = [cells[row * len(widths) : (row + 1) * len(widths)] for row in range(rows)]
    for row, row_cells in zip(table.rows, grid, strict=True):
        _height(row, ROW)
        for cell, width in zip(row_cells, widths, strict=True):
            cell.width = Cm(width)
    return table, lambda row, column: grid[row][column]


def _height(row, cm: float, *, can_split: bool = False) -> None:
    row.height = Cm(cm)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    properties = row._tr.get_or_add_trPr()
    for old in properties.findall(qn("w:cantSplit")):
        properties.remove(old)
    if not can_split:
        # The schema wants it before the row height.
        properties.find(qn("w:trHeight")).addprevious(OxmlElement("w:cantSplit"))


def _label(cell, text: str) -> None:
    _write(cell, text, align=CENTER, valign=MIDDLE)


def _value(cell, text: str, *, align=CENTER, valign=MIDDLE) -> None:
    _write(cell, text, align=align, valign=valign)


def _write(cell, text: str, *, align, valign) -> None:
    """`text` in `cell`, a paragraph per line, replacing what a merge left there."""
    cell.vertical_alignment = valign
    paragraphs = cell.paragraphs
    for extra in paragraphs[1:]:
        extra._element.getparent().remove(extra._element)
    first = paragraphs[0]
    for run in first.runs:
        run._element.getparent().remove(run._element)
    for n, line in enumerate(text.split("\n")):
        paragraph = first if n == 0 else cell.add_paragraph()
        _format(paragraph, align=align)
        if line:
            _run(paragraph, line)


def _format(paragraph, *, align=None, size=None, space_before=None, space_after=None) -> None:
    fmt = paragraph.paragraph_format
    if align is not None:
        fmt.alignment = align
    if space_before is not None:
        fmt.space_before = space_before
    if space_after is not None:
        fmt.space_after = space_after
    if size is not None:
        # The size of the paragraph mark: an empty paragraph is as tall as it.
        mark = paragraph._p.get_or_add_pPr()
        run_properties = mark.find(qn("w:rPr"))
        if run_properties is None:
            run_properties = OxmlElement("w:rPr")
            mark.append(run_properties)
        for tag in ("w:sz", "w:szCs"):
            element = OxmlElement(tag)
            element.set(qn("w:val"), str(int(size.pt * 2)))
            run_properties.append(element)


def _run(paragraph, text: str, *, size=None, bold: bool = False):
    run = paragraph.add_run(text)
    # The fonts on the run itself too: WPS and older Word read a run's East Asian font before the style's.
    _east_asian(run._element.get_or_add_rPr())
    if size is not None:
        run.font.size = size
    if bold:
        run.font.bold = True
    return run


def _east_asian(run_properties) -> None:
    """Name FONT for East Asian text too (python-docx's font.name sets only the Latin ones)."""
    fonts = run_properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        run_properties.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
