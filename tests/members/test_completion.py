"""The 365 completion page: chosen with the report form, written as the report writes shares, and
downloaded as the cells the page shows."""

import csv
import io
from datetime import date
from html.parser import HTMLParser
from urllib.parse import unquote

import openpyxl
import pytest

from members.models import Fulfilment, Household, Pairing, Pledge, Visit
from tests import clock
from tests.conftest import grant
from tests.factories import MemberFactory, UserFactory
from xiangcheng.models import AccessLog
from xiangcheng.periods import QUARTER_NAMES, quarter_of, quarter_period
from xiangcheng.reports import compute_sections

COMPLETION = "/admin/members/pledge/completion/"
TODAY = clock.TODAY
YEAR, QUARTER = TODAY.year, quarter_of(TODAY)
BOOKMARK = {"year": str(YEAR), "quarter": str(QUARTER), "organization": "A"}
NUMBER_HEADERS = ["在册党员", "已承诺", "企业服务完成", "人才服务完成", "结对帮扶完成"]
NAME_HEADERS = ["镇（街道）", "党组织", "书记"]


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def work(tree):
    """In town A: three pledges, one with its enterprise line fulfilled; three households paired,
    one of them visited this quarter. In town B: one pledge, by a member named 乙党员."""
    members = [MemberFactory(name=f"甲党员{n}", organization=tree["A0101"]) for n in range(3)]
    MemberFactory(name="甲书记", organization=tree["A0101"], party_post="secretary")
    pledges = [Pledge.objects.create(member=m, year=YEAR, pledged_on=date(YEAR, 1, 5)) for m in members]
    for kind in Fulfilment.ENTERPRISE_KINDS:
        Fulfilment.objects.create(
            pledge=pledges[0], kind=kind, done_on=date(YEAR, 3, 1), enterprise="某企业", action="x"
        )
    for n in range(3):
        household = Household.objects.create(
            head=f"户{n}",
            address="一组",
            organization=tree["A01"],
            village="村",
            hardship="illness",
            registered_on=date(YEAR - 1, 1, 1),
        )
        pairing = Pairing.objects.create(member=members[0], household=household, year=YEAR)
        if n == 0:
            Visit.objects.create(pairing=pairing, visited_on=TODAY, action="走访")
    far = MemberFactory(name="乙党员", organization=tree["B0101"])
    Pledge.objects.create(member=far, year=YEAR, pledged_on=date(YEAR, 1, 5))
    return tree


class _ReportTables(HTMLParser):
    """The text of every cell of the page's report tables, row by row."""

    def __init__(self):
        super().__init__()
        self.tables, self.depth, self.cell = [], 0, None

    @property
    def rows(self):
        return [row for table in self.tables for row in table]

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "report-table" in (dict(attrs).get("class") or ""):
            self.depth += 1
            self.tables.append([])
        elif self.depth and tag == "tr":
            self.tables[-1].append([])
        elif self.depth and tag in ("th", "td"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.cell is not None and tag in ("th", "td"):
            self.tables[-1][-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def page_tables(response) -> list[list[list[str]]]:
    assert response.status_code == 200
    parser = _ReportTables()
    parser.feed(response.content.decode())
    return parser.tables


def page_rows(response) -> list[list[str]]:
    return [row for table in page_tables(response) for row in table]


def town_row(response, town) -> dict[str, str]:
    """The page's by-town row of `town`, by column header."""
    rows = page_tables(response)[0]
    headers = rows[0]
    return dict(zip(headers, next(row for row in rows if row[0] == town), strict=True))


def table_column(section, title, column) -> dict:
    table = next(table for table in section.tables if table.title == title)
    index = table.headers.index(column)
    return {row[0].value: row[index].value for row in table.rows}


def test_completion_shares_read_as_the_report_sections_write_them(cast, as_user, work):
    period = quarter_period(YEAR, QUARTER)
    sections = {s.key: s for s in compute_sections(work["A"], cast["staff"], period.start, period.end)}
    coverage = table_column(sections["relief"], "本季度走访覆盖（按镇、街道）", "覆盖率")["甲街道党工委"]
    enterprise = next(f.value for f in sections["pledges"].figures if f.label == "企业服务完成率")
    assert (coverage, enterprise) == ("33.3%", "33.3%")

    response = as_user(cast["staff"]).get(COMPLETION, BOOKMARK)
    assert f"1/3（{coverage}）" in response.content.decode()
    row = town_row(response, "甲街道党工委")
    assert row[f"{QUARTER_NAMES[QUARTER]}走访覆盖"] == f"1/3（{coverage}）"
    assert row["企业服务完成"] == f"1/3（{enterprise}）"
    # Nothing due (no pledge asks for households): the report's dash, without counts.
    assert row["结对帮扶完成"] == "—"


def test_a_branch_its_town_and_its_secretary_read_as_names_beside_the_numbers(cast, as_user, work):
    page = as_user(cast["staff"]).get(COMPLETION, BOOKMARK).content.decode()
    # Text, not a number right-aligned under a left-aligned header.
    assert "<td>甲书记</td>" in page
    assert '<th scope="col">书记</th><th scope="col" class="number">在册党员</th>' in page


def test_a_bookmarked_year_quarter_and_organization_keeps_working(cast, as_user, work):
    response = as_user(cast["staff"]).get(COMPLETION, BOOKMARK)
    towns, branches = page_tables(response)
    # One town chosen: on a phone's width, its branches' table does not repeat it on every row.
    assert towns[0] == ["镇（街道）", *NUMBER_HEADERS, f"{QUARTER_NAMES[QUARTER]}走访覆盖"]
    assert branches[0] == ["党组织", "书记", *NUMBER_HEADERS, f"{QUARTER_NAMES[QUARTER]}走访覆盖"]
    assert {row[0] for row in towns[1:]} == {"甲街道党工委"}
    assert "甲书记" in response.content.decode() and "乙党员" not in response.content.decode()
    form = response.context["period_form"]
    assert (form["year"].value(), form["quarter"].value(), form["organization"].value()) == (
        str(YEAR),
        str(QUARTER),
        "A",
    )


def test_without_a_quarter_the_page_shows_the_whole_year_for_the_whole_scope(cast, as_user, work):
    towns, branches = page_tables(as_user(cast["staff"]).get(COMPLETION, {"quarter": "", "organization": ""}))
    coverage = [f"{QUARTER_NAMES[q]}走访覆盖" for q in range(1, QUARTER + 1)]
    assert towns[0] == ["镇（街道）", *NUMBER_HEADERS, *coverage]
    # Branches of two towns: each says its town.
    assert branches[0] == [*NAME_HEADERS, *NUMBER_HEADERS, *coverage]
    assert {row[0] for row in towns[1:]} == {row[0] for row in branches[1:]} == {"甲街道党工委", "乙镇党委"}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"quarter": "7"}, "季度："),
        ({"quarter": "全年"}, "季度："),
        ({"year": "10000"}, "年度："),
        # A period not begun: the whole of next year once failed in counting its quarters (500).
        ({"year": str(YEAR + 1), "quarter": ""}, "年度：所选期间尚未开始"),
        ({"year": str(YEAR + 1), "quarter": "1"}, "年度：所选期间尚未开始"),
        ({"organization": "B"}, "该组织不存在，或不在您的权限范围内。"),
        ({"organization": "%00"}, "该组织不存在，或不在您的权限范围内。"),
        ({"organization": "\x00"}, "组织："),
    ],
)
@pytest.mark.parametrize("download", [None, "csv", "xlsx"])
def test_a_bad_parameter_shows_the_form_error_never_a_500_nor_a_file(cast, as_user, work, params, error, download):
    query = {**BOOKMARK, **params, **({"download": download} if download else {})}
    response = as_user(cast["secretary_a"]).get(COMPLETION, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert error in body and "乙党员" not in body and "乙镇党委" not in body
    assert not AccessLog.objects.exists()


def test_a_quarter_not_begun_is_refused_on_the_quarter(cast, as_user, work):
    with clock.travel(date(YEAR, 5, 1)):
        response = as_user(cast["secretary_a"]).get(COMPLETION, {**BOOKMARK, "quarter": "3"})
    assert response.status_code == 200
    assert "季度：所选期间尚未开始" in response.content.decode()
    assert response.context["section"] is None


def test_secretary_chooses_only_organizations_of_their_subtree(cast, as_user, work):
    form = as_user(cast["secretary_a"]).get(COMPLETION).context["period_form"]
    codes = {organization.code for organization in form.fields["organization"].queryset}
    assert codes == {"A", "A01", "A0101", "A0102"}


def download_rows(response, kind) -> list[list[str]]:
    """The table rows of a downloaded file (its headers and data rows; not its titles or note)."""
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if kind == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        rows = [row[: max((i + 1 for i, value in enumerate(row) if value), default=0)] for row in rows]
    return [row for row in rows if len(row) > 1]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_downloaded_file_holds_the_cells_the_page_shows(cast, as_user, work, kind):
    client = as_user(cast["secretary_a"])
    towns, branches = page_tables(client.get(COMPLETION, {"year": YEAR}))
    assert any("1/3（33.3%）" in row for row in towns)
    response = client.get(COMPLETION, {"year": YEAR, "download": kind})
    rows = download_rows(response, kind)
    quarters = range(1, QUARTER + 1)
    lines = ["企业服务完成", "企业服务完成率", "人才服务完成", "人才服务完成率"]
    lines += ["结对帮扶完成", "结对帮扶应完成", "结对帮扶完成率"]
    lines += [
        header
        for q in quarters
        for header in (f"{QUARTER_NAMES[q]}已走访", f"{QUARTER_NAMES[q]}需走访的结对", f"{QUARTER_NAMES[q]}走访覆盖率")
    ]
    # Both of the file's tables name each row by town, branch and secretary, for a spreadsheet,
    # and give each line's done, due and share as numbers of their own: the page's 1/3（33.3%）
    # is 1, 3 and 33.3% there (a share is a number in the XLSX, shown as a percent).
    assert rows[0] == rows[len(towns)] == [*NAME_HEADERS, "在册党员", "已承诺", *lines]

    def as_page(row, shares):
        """The file's row written as the page writes it: each share of done of due in one cell."""
        cells, rest = row[3:5], row[5:]
        for due_given in shares:
            done, due, share = (rest[0], rest[1], rest[2]) if due_given else (rest[0], row[4], rest[1])
            rest = rest[3:] if due_given else rest[2:]
            share = f"{float(share) * 100:.1f}%" if kind == "xlsx" and share != "—" else share
            cells.append(f"{done}/{due}（{share}）" if due not in ("0", 0) else share)
        return cells

    shares = [False, False, True, *(True for _ in quarters)]
    assert [[row[0], *as_page(row, shares)] for row in rows[1 : len(towns)]] == towns[1:]
    assert [[*row[1:3], *as_page(row, shares)] for row in rows[len(towns) + 1 :]] == branches[1:]
    assert unquote(response["Content-Disposition"]).endswith(f"365承诺完成情况-{YEAR}年.{kind}")
    entry = AccessLog.objects.get()
    assert entry.user == cast["secretary_a"] and entry.what.startswith("365承诺完成情况")


def test_the_download_needs_the_export_permission(cast, as_user, work, tree):
    from branches.models import AccountScope

    reader = UserFactory(username="reader")
    AccountScope.objects.create(user=reader, organization=tree["A"])
    grant(reader, "members.view_pledge", "branches.view_organization")
    client = as_user(reader)
    page = client.get(COMPLETION, BOOKMARK)
    assert page.status_code == 200 and "download=csv" not in page.content.decode()
    assert client.get(COMPLETION, {**BOOKMARK, "download": "csv"}).status_code == 403
    assert not AccessLog.objects.exists()
