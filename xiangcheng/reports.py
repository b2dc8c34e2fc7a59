"""Quarterly reports and the dashboard: one registry of sections, computed once for both.

The apps above this one register their sections in their `reports.py`, so this module never
imports them:

    @register_section("talent", "人才招引", order=50, models=[Talent, TalentProject, ...])
    def talent_section(organization, user, start, end): ...

The decorated function returns a `Section` for the days [start, end], both included, within what
`user` may see and, unless `organization` is None (the whole district), within that
organization's subtree (`scoped()` does both). `models` are the models whose rows it counts: a
user who may not view every one of them does not see the section (rather than zeros). A section
holds headline figures and tables; every number may carry the admin URL of the filtered list it
counts (`changelist_url()`).

The dashboard draws the same sections (cards for the figures, an ECharts chart for each table
with a `Chart`), the quarterly report lays them out as one XLSX sheet or one CSV file per
section, and closing a quarter stores them as JSON beside the files' bytes. So the dashboard and
the report cannot disagree for the same period and organization.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import quote_plus

import openpyxl
from django.core.exceptions import ImproperlyConfigured
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from xiangcheng.imex import neutralize
from xiangcheng.periods import QUARTER_NAMES, judged_value, quarter_period
from xiangcheng.registry import Registry
from xiangcheng.scoping import has_model_permission, sees_whole_district, visible_within
from xiangcheng.sites import reverse_once
from xiangcheng.snapshots import figures, snapshot_key

SITE_NAME = "相城区党建生态管理平台"
# Files carry this time wherever a time is stored, so the same numbers give the same bytes.
FIXED_TIME = datetime(2000, 1, 1)  # noqa: DTZ001 (a constant, not a moment)
# A page shows this many rows of a table (one row per branch of the district is a thousand);
# the XLSX and CSV files hold every row.
SCREEN_ROWS = 100


def percent(done, of=None) -> str:
    """The one way a share is written: 3 of 4 (or the ratio 0.75) as 75.0%; a dash when nothing
    is due (`of` is 0, or the ratio is None)."""
    ratio = done if of is None else (done / of if of else None)
    return "—" if ratio is None else f"{ratio:.1%}"


# --- What a section is made of ---------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One number (or label) of a table, with the admin URL of the list it counts, if any."""

    value: Any
    url: str = ""


def as_cell(value) -> Cell:
    return value if isinstance(value, Cell) else Cell(value)


@dataclass(frozen=True)
class Chart:
    """How the dashboard draws a table: `kind` is "bar", "line" or "pie"; the first column labels
    the rows and `columns` are the value columns drawn (by index; empty means all after the first)."""

    kind: str = "bar"
    columns: tuple[int, ...] = ()


@dataclass
class Table:
    """A titled table. `total`, if given, is the last row, shown in bold and never charted.
    `dashboard=False` keeps a long table (one row per branch) to the report and its files."""

    title: str
    headers: list[str]
    rows: list[list]
    total: list | None = None
    chart: Chart | None = None
    dashboard: bool = True
    # The rows of the whole table when `rows` holds only those a page shows (`screen_cut`).
    row_count: int | None = None
    # How many leading columns name a row (an organization, its secretary): shown as text, the
    # columns after them as numbers.
    labels: int = 1

    def __post_init__(self):
        self.rows = [[as_cell(value) for value in row] for row in self.rows]
        if self.total is not None:
            self.total = [as_cell(value) for value in self.total]
        if isinstance(self.chart, dict):
            self.chart = Chart(self.chart["kind"], tuple(self.chart["columns"]))

    @property
    def all_rows(self) -> int:
        """How many rows the whole table has (the files hold them all)."""
        return len(self.rows) if self.row_count is None else self.row_count


@dataclass
class Figure:
    """A headline number: a card on the dashboard, a line of the report. A `shortfall` figure is
    the size of a list of what falls short (households not visited, quotas not met); the
    dashboard gathers those in one panel."""

    label: str
    value: Any
    url: str = ""
    shortfall: bool = False


@dataclass
class Section:
    """What one app reports for one period and organization. `key`, and `title` unless given,
    come from the registry."""

    title: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str = ""
    key: str = ""

    def to_dict(self, *, exact: bool = False) -> dict:
        """Plain JSON, as a closed report stores it: Decimals become strings, or with `exact`
        {"decimal": "12.50"}, which `from_dict` reads back as the Decimal (a stored figure)."""

        def cell(item: Cell) -> dict:
            return {"value": _jsonable(item.value, exact), "url": item.url}

        # Written out rather than `dataclasses.asdict`, which deep-copies every cell: a table of a
        # thousand branches took half a second.
        return {
            "title": self.title,
            "figures": [
                {
                    "label": figure.label,
                    "value": _jsonable(figure.value, exact),
                    "url": figure.url,
                    "shortfall": figure.shortfall,
                }
                for figure in self.figures
            ],
            "tables": [
                {
                    "title": table.title,
                    "headers": list(table.headers),
                    "rows": [[cell(item) for item in row] for row in table.rows],
                    "total": None if table.total is None else [cell(item) for item in table.total],
                    "chart": None
                    if table.chart is None
                    else {"kind": table.chart.kind, "columns": [*table.chart.columns]},
                    "dashboard": table.dashboard,
                    "row_count": table.row_count,
                    "labels": table.labels,
                }
                for table in self.tables
            ],
            "note": self.note,
            "key": self.key,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Section:
        return cls(
            title=data["title"],
            figures=[Figure(**{**figure, "value": _exact(figure["value"])}) for figure in data["figures"]],
            tables=[
                Table(
                    title=table["title"],
                    headers=table["headers"],
                    rows=[[_cell(cell) for cell in row] for row in table["rows"]],
                    total=[_cell(cell) for cell in table["total"]] if table["total"] is not None else None,
                    chart=table["chart"],
                    dashboard=table.get("dashboard", True),
                    row_count=table.get("row_count"),
                    labels=table.get("labels", 1),
                )
                for table in data["tables"]
            ],
            note=data["note"],
            key=data["key"],
        )


def _jsonable(value, exact: bool = False):
    if isinstance(value, dict):
        return {key: _jsonable(item, exact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item, exact) for item in value]
    if isinstance(value, Decimal):
        return {"decimal": str(value)} if exact else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _exact(value):
    return Decimal(value["decimal"]) if isinstance(value, dict) else value


def _cell(data: dict) -> Cell:
    return Cell(_exact(data["value"]), data["url"])


# --- Helpers for compute functions -----------------------------------------------------------


def scoped(queryset, user, organization=None):
    """`queryset` limited to what `user` may see and, given an organization, to its subtree; for
    the counts and totals of a section (`counting`, xiangcheng/scoping.py)."""
    return visible_within(queryset, user, organization, counting=True)


def changelist_url(model, organization=None, *, subtree: bool = True, on: date | None = None, **filters) -> str:
    """The admin list of `model` filtered by `filters` (field lookups or list-filter parameters)
    and, given an organization, by its subtree (the `org` filter every scoped admin has) or, with
    `subtree=False`, by that organization alone (`org_only`); with `on`, the rows of members who
    belonged there on that day (`SubtreeFilter`), as the completion counts them."""
    opts = model._meta
    query = {key: value.isoformat() if isinstance(value, date) else value for key, value in filters.items()}
    if organization is not None:
        code = organization.code if on is None else judged_value(organization.code, on)
        query["org" if subtree else "org_only"] = code
    url = reverse_once(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{_query_string(query)}" if query else url


# What a query string carries unquoted (quoting it changes nothing), and the "@" of a value
# judged on a day (periods.judged_value), which it carries as %40.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~@-]*")


def _query_string(query: dict) -> str:
    """`urlencode(query)` for single values, quoting only what needs it: a table of a thousand
    branches writes tens of thousands of links, nearly all of codes, days and numbers."""

    def quoted(text) -> str:
        text = str(text)
        return text.replace("@", "%40") if _UNRESERVED.fullmatch(text) else quote_plus(text)

    return "&".join(f"{quoted(key)}={quoted(value)}" for key, value in query.items())


# --- The registry ----------------------------------------------------------------------------

ComputeFunction = Callable[[Any, Any, date, date], Section]


class Registered(NamedTuple):
    key: str
    title: str
    order: int
    compute: ComputeFunction
    models: tuple
    dashboard: bool


sections: Registry[Registered] = Registry("report section")


def register_section(key: str, title: str, *, order: int, models, dashboard: bool = True):
    """Register the decorated `compute(organization, user, start, end)` as a section of the
    quarterly report (and, unless `dashboard=False`, of the dashboard). Sections appear by
    `order`; the title names the XLSX sheet. `models` are the models the section counts: it is
    shown only to users who may view all of them."""
    if not models:
        raise ImproperlyConfigured(f"Report section {key!r} must name the models it counts.")

    def register(compute: ComputeFunction) -> ComputeFunction:
        sections.add(Registered(key, title, order, compute, tuple(models), dashboard))
        return compute

    return register


def registered_sections(user, *, dashboard: bool = False) -> list[Registered]:
    """The sections `user` may see, in order; only the dashboard's ones if `dashboard`."""
    return [
        entry
        for entry in sorted(sections, key=lambda entry: (entry.order, entry.key))
        if (entry.dashboard or not dashboard) and all(has_model_permission(user, model) for model in entry.models)
    ]


def on_screen(rows: list) -> list:
    """The rows of a table a page shows: the first `SCREEN_ROWS` (the files hold all)."""
    return rows[:SCREEN_ROWS]


def screen_cut(data: dict) -> dict:
    """A section as stored (`Section.to_dict`) cut to what a page shows: each table's rows
    `on_screen`, with the count of all. A page then reads back a few hundred cells, not a row per
    branch of the district; the files are made from the whole section."""
    tables = [
        {**table, "rows": on_screen(table["rows"]), "row_count": table.get("row_count") or len(table["rows"])}
        for table in data["tables"]
    ]
    return {**data, "tables": tables}


def compute_sections(
    organization, user, start: date, end: date, *, dashboard: bool = False, screen: bool = False
) -> list[Section]:
    """Every section `user` may see, for [start, end] and `organization` (None: the district),
    each computed once per state of the data (xiangcheng/snapshots.py); with `screen`, as a page
    shows them (`screen_cut`)."""

    def computation(entry):
        def compute():
            section = entry.compute(organization, user, start, end)
            section.key = entry.key
            section.title = section.title or entry.title
            data = section.to_dict(exact=True)
            return screen_cut(data) if screen else data

        return compute

    place = "district" if organization is None else organization.pk
    cut = "screen" if screen else "whole"
    entries = {
        snapshot_key(user, "section", entry.key, place, start, end, cut): entry
        for entry in registered_sections(user, dashboard=dashboard)
    }
    # What a page shows may lag behind the data while it is computed again (xiangcheng/snapshots.py);
    # the files never do.
    stored = figures({key: computation(entry) for key, entry in entries.items()}, may_lag=screen)
    return [Section.from_dict(stored[key]) for key in entries]


# --- Files -----------------------------------------------------------------------------------


def section_grid(section: Section, heading: str) -> list[list]:
    """One section as rows of values, the same for its XLSX sheet and its CSV file."""
    grid: list[list] = [[section.title], [heading]]
    if section.figures:
        grid += [[], ["指标", "数值"], *([figure.label, figure.value] for figure in section.figures)]
    for table in section.tables:
        grid += [[], [table.title], list(table.headers)]
        grid += [[cell.value for cell in row] for row in table.rows]
        if table.total is not None:
            grid.append([cell.value for cell in table.total])
    if section.note:
        grid += [[], [f"说明：{section.note}"]]
    return grid


def sheet_title(title: str, taken: set) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = "".join("－" if char in "[]:*?/\\" else char for char in title)[:31] or "Sheet"
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"（{n}）"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry FIXED_TIME, so the same content gives the same bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o644 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet from a temporary file: its time, not the file's.
        with open(filename, "rb") as source:
            self.writestr(arcname or filename, source.read(), compress_type, compresslevel)


# A share as `percent` writes it (45.3%), and a number a section holds as text (an average of
# 9.5 days; a closed report's stored amounts): a spreadsheet cell takes them as numbers.
SHARE_TEXT = re.compile(r"-?\d+(\.\d+)?%")
NUMBER_TEXT = re.compile(r"-?\d+\.\d+")


def spreadsheet_cell(value):
    """(value, number format or None) of a report value in an XLSX cell: a share as a fraction
    shown as a percent, a number written as text as that number with its decimals; anything
    else as it is (text neutralized)."""
    if isinstance(value, str) and SHARE_TEXT.fullmatch(value):
        number = Decimal(value[:-1]) / 100
        places = max(-Decimal(value[:-1]).as_tuple().exponent, 0)
        return number, "0" + ("." + "0" * places if places else "") + "%"
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
        number = Decimal(value)
        return number, "#,##0." + "0" * -number.as_tuple().exponent
    return neutralize(value), None


def report_xlsx(sections: list[Section], heading: str) -> bytes:
    """One sheet per section, named by its title; the same numbers always give the same bytes.
    Shares and numbers held as text are numbers there (`spreadsheet_cell`), for the sums and
    sorts of whoever the file is sent to."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    taken: set = set()
    for section in sections:
        sheet = book.create_sheet(sheet_title(section.title, taken))
        # Rows counted here: the sheet's max_row looks at every cell so far, which made a district's
        # table of 2,000 branches take 12 seconds.
        for number, row in enumerate(section_grid(section, heading), start=1):
            cells = [spreadsheet_cell(value) for value in row]
            sheet.append([value for value, _ in cells])
            for column, (_, number_format) in enumerate(cells, start=1):
                if number_format:
                    sheet.cell(row=number, column=column).number_format = number_format
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.column_dimensions["A"].width = 36
        for column in "BCDEFG":
            sheet.column_dimensions[column].width = 18
    if not sections:
        book.create_sheet("报表").append(["没有可显示的统计项。"])
    book.properties.creator = SITE_NAME
    book.properties.lastModifiedBy = SITE_NAME
    book.properties.title = heading
    book.properties.created = book.properties.modified = FIXED_TIME
    stream = io.BytesIO()
    # ExcelWriter rather than book.save(): save() stamps the current time as "modified".
    ExcelWriter(book, _FixedTimeZip(stream, "w", zipfile.ZIP_DEFLATED)).save()
    return stream.getvalue()


def section_csv(section: Section, heading: str) -> bytes:
    """One section as CSV, UTF-8 with a BOM so Excel and WPS show the Chinese."""
    text = io.StringIO()
    writer = csv.writer(text)
    for row in section_grid(section, heading):
        writer.writerow([neutralize(value) for value in row])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def report_csv_zip(sections: list[Section], heading: str) -> bytes:
    """A zip holding one CSV per section, numbered in report order."""
    stream = io.BytesIO()
    with _FixedTimeZip(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, section in enumerate(sections, start=1):
            archive.writestr(f"{number:02d}-{section.title}.csv", section_csv(section, heading))
    return stream.getvalue()


def chart_data(table: Table) -> dict | None:
    """What the dashboard's script needs to draw `table` with ECharts, or None without a chart."""
    if table.chart is None or not table.rows:
        return None
    columns = table.chart.columns or tuple(range(1, len(table.headers)))
    return {
        "kind": table.chart.kind,
        "title": table.title,
        "labels": [str(row[0].value) for row in table.rows],
        "series": [
            {
                "name": table.headers[column],
                "data": [_chart_number(row[column].value) for row in table.rows],
                "urls": [row[column].url for row in table.rows],
            }
            for column in columns
        ],
    }


def _chart_number(value) -> float:
    # Decimals, and the text a closed report's JSON holds them as.
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


# --- A report: the sections of one quarter and organization, live or as closed -----------------


@dataclass
class Report:
    """The quarterly report of one organization. A closed quarter's report (`closed` set) holds
    the stored sections and serves the stored files."""

    year: int
    quarter: int
    organization: Any
    sections: list[Section]
    closed: Any = None

    @property
    def start(self) -> date:
        return quarter_period(self.year, self.quarter).start

    @property
    def end(self) -> date:
        return quarter_period(self.year, self.quarter).end

    @property
    def heading(self) -> str:
        if self.closed is not None:
            return self.closed.data["heading"]
        period = f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"
        return f"{self.year}年{QUARTER_NAMES[self.quarter]}（{period}）· {self.organization}"

    def data(self) -> dict:
        return {"heading": self.heading, "sections": [section.to_dict() for section in self.sections]}

    def xlsx(self) -> bytes:
        if self.closed is not None:
            return bytes(type(self.closed).objects.values_list("xlsx", flat=True).get(pk=self.closed.pk))
        return report_xlsx(self.sections, self.heading)

    def csv_zip(self) -> bytes:
        if self.closed is not None:
            return bytes(type(self.closed).objects.values_list("csv_zip", flat=True).get(pk=self.closed.pk))
        return report_csv_zip(self.sections, self.heading)

    @classmethod
    def of_closed(cls, closed, keys=None) -> Report:
        """The report a closed quarter stored (`ClosedReport`), of its sections in `keys` when given."""
        stored = [Section.from_dict(section) for section in closed.data["sections"]]
        sections = stored if keys is None else [section for section in stored if section.key in keys]
        return cls(closed.year, closed.quarter, closed.organization, sections, closed)

    def filename(self, extension: str) -> str:
        return f"{self.organization}-{self.year}年{QUARTER_NAMES[self.quarter]}报表.{extension}"


def section_organization(organization, user):
    """What compute functions receive: None for the whole district (the tree's root, for a user
    who sees it all), else the organization."""
    if organization is not None and len(organization.path) == 1 and sees_whole_district(user):
        return None
    return organization


def build_report(
    year: int, quarter: int, organization, user, *, dashboard: bool = False, screen: bool = False
) -> Report:
    """The report computed now from the records (with `screen`, as a page shows it: `screen_cut`)."""
    start, end, _ = quarter_period(year, quarter)
    place = section_organization(organization, user)
    sections = compute_sections(place, user, start, end, dashboard=dashboard, screen=screen)
    return Report(year, quarter, organization, sections)


def load_report(
    year: int, quarter: int, organization, user, *, dashboard: bool = False, screen: bool = False
) -> Report:
    """The closed report if the quarter is closed for `organization` (for users who may see closed
    reports), else the report computed now (with `screen`, only what a page shows of it)."""
    from xiangcheng.models import ClosedReport

    closed = (
        ClosedReport.objects.visible_to(user)
        .filter(year=year, quarter=quarter, organization=organization, reopened_at__isnull=True)
        .select_related("closed_by")
        .defer("xlsx", "csv_zip")
        .first()
    )
    if closed is not None:
        keys = {entry.key for entry in registered_sections(user, dashboard=dashboard)}
        return Report.of_closed(closed, keys)
    return build_report(year, quarter, organization, user, dashboard=dashboard, screen=screen)
