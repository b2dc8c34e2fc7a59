"""The dashboard, the quarterly report, closing and reopening a quarter, and the data-quality page."""

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import InternalError, connection, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix
from django.utils import timezone

from branches.models import AccountScope
from talent.models import Honour, Talent, TalentHonour
from tests import clock
from tests.conftest import grant
from tests.factories import TalentFactory, UserFactory
from xiangcheng import reports, snapshots
from xiangcheng.audit import history_of
from xiangcheng.models import AccessLog, ClosedReport, Target
from xiangcheng.periods import quarter_of, quarter_period
from xiangcheng.reports import Cell, Section, Table, register_section, section_grid
from xiangcheng.roles import SECRETARY
from xiangcheng.views import NO_SCOPE

DASHBOARD = "/admin/"
REPORT = "/admin/reports/quarterly/"
CLOSE = "/admin/reports/quarterly/close/"
QUALITY = "/admin/reports/quality/"
Q1 = {"year": "2020", "quarter": "1"}


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def talents(tree):
    honour = Honour.objects.create(name="海外专业人才")
    found = {
        "a": TalentFactory(name="甲镇人才", organization=tree["A0101"], introduced_on=date(2020, 2, 1)),
        "b": TalentFactory(name="乙镇人才", organization=tree["B0101"], introduced_on=date(2020, 3, 1)),
        "later": TalentFactory(name="二季度人才", organization=tree["A0101"], introduced_on=date(2020, 4, 2)),
    }
    TalentHonour.objects.create(talent=found["b"], honour=honour, awarded_on=date(2020, 3, 1))
    return found


def talent_figures(response) -> dict:
    section = next(section for section in response.context["report"].sections if section.key == "talent")
    return {figure.label: figure.value for figure in section.figures}


def sheet_rows(content: bytes, title: str) -> list[list]:
    """A sheet's rows as values, without the empty cells openpyxl pads rows with."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = []
    for row in book[title].iter_rows(values_only=True):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    return rows


def download(client, fmt="xlsx", **params):
    response = client.get(REPORT, {**Q1, **params, "format": fmt})
    assert response.status_code == 200, response.content[:500]
    return response


# --- The dashboard ---------------------------------------------------------------------------


def test_the_side_menu_links_under_the_address_the_portal_is_served_at(cast, as_user):
    """The side menu's addresses, and a report's links, are resolved once (xiangcheng/sites.py
    reverse_once): a portal served under /dangjian/ links there, and the same process served at /
    links to /."""
    client = as_user(cast["staff"])
    for prefix in ("/dangjian", "", "/dangjian"):
        # What a server does for a request under SCRIPT_NAME (Django's test client does not).
        set_script_prefix(f"{prefix}/")
        try:
            body = client.get("/admin/members/member/").content.decode()
        finally:
            set_script_prefix("/")
        start = body.index('id="nav-sidebar"')
        menu = body[start : body.index("</nav>", start)]
        assert f'href="{prefix}/admin/members/member/"' in menu
        assert f'href="{prefix}/admin/members/member/add/"' in menu
        assert ("/dangjian/" not in menu) if not prefix else ('href="/admin/' not in menu)


def test_dashboard_is_the_first_page_with_sections_charts_and_the_app_list(cast, as_user, talents):
    response = as_user(cast["staff"]).get(DASHBOARD, Q1)
    body = response.content.decode()
    assert talent_figures(response)["本期引进人才"] == 2
    assert 'id="section-talent"' in body and 'class="chart"' in body
    assert "/static/vendor/echarts/echarts.min.js" in body
    assert "功能模块" in body and "/admin/talent/talent/" in body  # the app list stays reachable
    assert 'href="/admin/talent/talent/?introduced_on__gte=2020-01-01&amp;introduced_on__lte=2020-03-31"' in body
    # No resource from outside: every script, style sheet and link stays on the portal.
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_dashboard_defaults_to_this_quarter_and_the_top_of_the_scope(cast, as_user, tree):
    today = timezone.localdate()
    year, quarter = today.year, quarter_of(today)
    response = as_user(cast["secretary_a"]).get(DASHBOARD)
    report = response.context["report"]
    assert (report.year, report.quarter, report.organization) == (year, quarter, tree["A"])


def test_the_quarterly_report_leads_to_each_of_its_parts(cast, as_user, tree):
    # On a phone the report was 8,800 px tall with no way to its later parts but scrolling.
    response = as_user(cast["secretary_a"]).get(REPORT)
    if response.status_code == 202:
        snapshots.wait_for_refreshes()
        response = as_user(cast["secretary_a"]).get(REPORT)
    body = response.content.decode()
    sections = response.context["report"].sections
    assert len(sections) > 1
    contents = re.search(r'<nav class="report-contents"[^>]*>(.*?)</nav>', body).group(1)
    assert re.findall(r'href="#section-([^"]+)">([^<]+)</a>', contents) == [
        (section.key, section.title) for section in sections
    ]
    for section in sections:
        assert f'id="section-{section.key}"' in body


def test_a_year_not_begun_is_refused_and_the_dashboard_shows_this_quarter(cast, as_user, tree):
    today = timezone.localdate()
    response = as_user(cast["secretary_a"]).get(DASHBOARD, {"year": today.year + 1, "quarter": ""})
    assert "年度：所选期间尚未开始" in response.content.decode()
    report = response.context["report"]
    assert (report.year, report.quarter) == (today.year, quarter_of(today))


def test_next_year_and_a_quarter_not_begun_show_this_quarter_not_a_missing_scope(cast, as_user, tree):
    # In May, "2027 Q4": the year was refused, and Q4 of this year then too; the page said the
    # account had no organization.
    with clock.travel(date(2026, 5, 1)):
        response = as_user(cast["secretary_a"]).get(DASHBOARD, {"year": 2027, "quarter": 4})
        assert "尚未分配负责组织" not in response.content.decode()
        report = response.context["report"]
        assert (report.year, report.quarter, report.organization) == (2026, 2, tree["A"])


def test_secretary_dashboard_holds_only_their_subtree(cast, as_user, talents):
    response = as_user(cast["secretary_a"]).get(DASHBOARD, Q1)
    assert talent_figures(response)["本期引进人才"] == 1
    choices = [label for _, label in response.context["period_form"].fields["organization"].choices]
    assert choices and all("乙镇" not in label for label in choices)
    assert 'id="targets"' not in response.content.decode()  # district-wide targets are staff's


def test_secretary_cannot_ask_for_another_town(cast, as_user, talents):
    client = as_user(cast["secretary_a"])
    dashboard = client.get(DASHBOARD, {**Q1, "organization": "B"})
    assert "不在您的权限范围内" in dashboard.content.decode()
    assert talent_figures(dashboard)["本期引进人才"] == 1  # shown for their own town instead
    report = client.get(REPORT, {**Q1, "organization": "B"})
    assert report.context["report"] is None and "不在您的权限范围内" in report.content.decode()
    assert client.get(REPORT, {**Q1, "organization": "B", "format": "xlsx"})["Content-Type"].startswith("text/html")


def test_user_without_scope_sees_a_message_not_numbers(cast, as_user, talents):
    secretary = UserFactory(username="secretary_unassigned")
    secretary.groups.add(Group.objects.get(name=SECRETARY))
    client = as_user(secretary)
    response = client.get(DASHBOARD)
    assert response.status_code == 200 and NO_SCOPE in response.content.decode()
    assert "report" not in response.context
    # Every page of numbers refuses them the same way, in Chinese, rather than showing zeros.
    pages = [REPORT, QUALITY, "/admin/members/pledge/completion/", "/admin/branches/serviceaction/totals/"]
    for page in pages:
        refused = client.get(page, Q1)
        assert refused.status_code == 403 and NO_SCOPE in refused.content.decode(), page
        assert "Forbidden" not in refused.content.decode()


def test_a_refused_page_says_why_in_chinese(cast, as_user):
    refused = as_user(cast["secretary_a"]).get("/admin/xiangcheng/target/")
    assert refused.status_code == 403
    assert "无权访问" in refused.content.decode() and "Forbidden" not in refused.content.decode()


def test_dashboard_shows_targets_with_pace_and_links(cast, as_user, talents):
    Target.objects.create(
        name="引进海外专业人才", rule="talents_introduced", parameter="海外专业人才",
        start=date(2020, 1, 1), end=date(2020, 12, 31), value=10,
    )  # fmt: skip
    response = as_user(cast["staff"]).get(DASHBOARD, Q1)
    body = response.content.decode()
    assert 'id="targets"' in body and "引进海外专业人才" in body and "严重滞后" in body
    ((target, found, url),) = response.context["targets"]
    assert found.actual == 1
    assert as_user(cast["staff"]).get(url).context["cl"].result_count == 1


def test_dashboard_costs_the_same_queries_whatever_the_data_size(
    cast, as_user, tree, talents, django_assert_num_queries
):
    Target.objects.create(
        name="三年引进人才", rule="talents_introduced", start=date(2018, 1, 1), end=date(2020, 12, 31), value=30
    )
    for who in ("staff", "secretary_a"):
        client = as_user(cast[who])
        client.get(DASHBOARD, Q1)  # warm the session
        # Each view follows a change, so each computes its figures (none is served stored).
        TalentFactory(organization=tree["A0101"], introduced_on=date(2020, 1, 5))
        with CaptureQueriesContext(connection) as first:
            client.get(DASHBOARD, Q1)
        TalentFactory.create_batch(25, organization=tree["A0101"], introduced_on=date(2020, 1, 5))
        with django_assert_num_queries(len(first)):
            response = client.get(DASHBOARD, Q1)
        assert talent_figures(response)["本期引进人才"] >= 27


# --- Stored figures (xiangcheng/snapshots.py) -------------------------------------------------


def talent_queries(context) -> list[str]:
    return [query["sql"] for query in context.captured_queries if "talent_talent" in query["sql"]]


def test_a_repeated_view_is_served_stored_and_a_change_is_seen_at_once(cast, as_user, tree, talents):
    client = as_user(cast["staff"])
    with CaptureQueriesContext(connection) as computed:
        first = client.get(DASHBOARD, Q1)
    with CaptureQueriesContext(connection) as stored:
        again = client.get(DASHBOARD, Q1)
    assert talent_queries(computed) and not talent_queries(stored)
    assert len(stored) < len(computed)
    assert [s.to_dict() for s in again.context["report"].sections] == [
        s.to_dict() for s in first.context["report"].sections
    ]
    assert talent_figures(again)["本期引进人才"] == 2
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    assert talent_figures(client.get(DASHBOARD, Q1))["本期引进人才"] == 3
    Talent.objects.filter(organization=tree["B0101"]).update(introduced_on=date(2019, 1, 9))
    assert talent_figures(client.get(DASHBOARD, Q1))["本期引进人才"] == 1


def test_stored_figures_are_each_users_own_scope(cast, as_user, talents):
    assert talent_figures(as_user(cast["staff"]).get(DASHBOARD, Q1))["本期引进人才"] == 2
    secretary = as_user(cast["secretary_a"])
    assert talent_figures(secretary.get(DASHBOARD, Q1))["本期引进人才"] == 1
    assert talent_figures(secretary.get(DASHBOARD, Q1))["本期引进人才"] == 1
    assert talent_figures(as_user(cast["staff"]).get(DASHBOARD, Q1))["本期引进人才"] == 2


def test_every_way_of_writing_changes_the_data_version(tree):
    seen = [snapshots.data_version()[0]]

    def changed():
        seen.append(snapshots.data_version()[0])
        return seen[-1] > seen[-2]

    TalentFactory(organization=tree["A0101"])
    assert changed()
    Talent.objects.bulk_create([TalentFactory.build(name="批量", organization=tree["A0101"])])
    assert changed()
    Talent.objects.filter(name="批量").update(name="改名")
    assert changed()
    Talent.objects.filter(name="改名").delete()
    assert changed()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE branches_organization SET name = name WHERE false")
    assert changed()
    AccessLog.objects.create(action=AccessLog.Action.EXPORT, what="不计入")  # what pages write
    assert not changed()


def test_folding_the_change_rows_keeps_the_version(tree):
    for _ in range(3):
        TalentFactory(organization=tree["A0101"])
    version, rows = snapshots.data_version()
    assert rows >= 3
    snapshots.compact()
    assert snapshots.data_version() == (version, 1)
    TalentFactory(organization=tree["A0101"])
    assert snapshots.data_version() == (version + 1, 2)


def test_stored_sections_keep_exact_decimals():
    section = Section(
        title="经费",
        tables=[Table("资助", ["项目", "金额"], [["甲", Decimal("12.50")]], total=["合计", Decimal("12.50")])],
    )
    back = Section.from_dict(section.to_dict(exact=True))
    assert back.tables[0].rows[0][1].value == Decimal("12.50")
    assert back.tables[0].total[1].value == Decimal("12.50")
    assert section.to_dict()["tables"][0]["rows"][0][1]["value"] == "12.50"  # a closed report's JSON


def test_a_page_shows_the_first_rows_of_a_long_table_and_says_where_the_rest_are():
    rows = [[f"支部{n}", n] for n in range(reports.SCREEN_ROWS + 50)]
    html = render_to_string("admin/reports/table.html", {"table": Table("按党组织", ["党组织", "党员"], rows)})
    assert html.count("<tr>") == 1 + reports.SCREEN_ROWS  # the header and the rows shown
    assert f"支部{reports.SCREEN_ROWS - 1}<" in html and f"支部{reports.SCREEN_ROWS}<" not in html
    assert f"共 {reports.SCREEN_ROWS + 50} 行，此处显示前 {reports.SCREEN_ROWS} 行" in html
    short = render_to_string("admin/reports/table.html", {"table": Table("按镇", ["镇", "党员"], rows[:3])})
    assert "此处显示前" not in short


def test_a_table_shows_labels_numbers_links_and_its_total_escaped():
    rows = [[Cell("<b>甲</b>支部", "/admin/m/?org=A&x=<"), Cell(1234567, "/admin/?a=1&b=2"), 7]]
    table = Table("按党组织", ["党组织", "党员", "承诺"], rows, total=["合计", 1234567, Decimal("7.50")])
    html = render_to_string("admin/reports/table.html", {"table": table})
    assert '<th scope="row"><a href="/admin/m/?org=A&amp;x=&lt;">&lt;b&gt;甲&lt;/b&gt;支部</a></th>' in html
    assert '<td class="number"><a href="/admin/?a=1&amp;b=2">1,234,567</a></td><td class="number">7</td>' in html
    assert '<tr class="total"><th scope="row">合计</th><td class="number">1,234,567</td>' in html
    assert '<td class="number">7.50</td></tr>' in html
    empty = render_to_string("admin/reports/table.html", {"table": Table("按镇", ["镇", "党员"], [])})
    assert '<tr><td colspan="2">本期无数据。</td></tr>' in empty


def test_a_table_named_by_several_columns_shows_them_as_text_beside_its_numbers():
    # A branch, its secretary and a code read as names: left as written, not as numbers (1234 is
    # not 1,234), and only the columns of numbers are aligned as numbers, headers included.
    rows = [["甲支部", "李书记", "1234", Cell(26, "/admin/m/?org=A")]]
    table = Table("按党组织", ["党组织", "书记", "编号", "在册党员"], rows, total=["合计", "—", "", 26], labels=3)
    html = render_to_string("admin/reports/table.html", {"table": table})
    names = '<th scope="row">甲支部</th><td>李书记</td><td>1234</td>'
    assert names + '<td class="number"><a href="/admin/m/?org=A">26</a>' in html
    assert '<th scope="col">编号</th><th scope="col" class="number">在册党员</th>' in html
    assert '<tr class="total"><th scope="row">合计</th><td>—</td><td></td><td class="number">26</td>' in html
    # Stored and read back (a figure, a closed report) it keeps its name columns.
    assert Section(tables=[table]).to_dict()["tables"][0]["labels"] == 3
    assert Section.from_dict(Section(tables=[table]).to_dict()).tables[0].labels == 3


# --- The quarterly report --------------------------------------------------------------------


def test_report_numbers_equal_the_dashboard_numbers(cast, as_user, talents, tree):
    for who, organization in [("staff", "XC"), ("staff", "A"), ("secretary_a", "A"), ("secretary_a", "A01")]:
        client = as_user(cast[who])
        params = {**Q1, "organization": organization}
        dashboard = client.get(DASHBOARD, params).context["report"]
        on_screen = client.get(REPORT, params).context["report"]
        assert [section.to_dict() for section in dashboard.sections] == [
            section.to_dict() for section in on_screen.sections
        ]
        content = download(client, **params).content
        sheets = openpyxl.load_workbook(io.BytesIO(content)).sheetnames
        expected_sheets = ["行动支部", "网格化治理", "先锋365承诺", "结对帮扶", "党群服务阵地", "人才招引"]
        if who == "staff":
            expected_sheets.insert(5, "1333青年干部")
        assert sheets == [section.title for section in dashboard.sections] == expected_sheets
        for section in dashboard.sections:
            expected = [
                [float(value) if isinstance(value, Decimal) else value for value in row]
                for row in section_grid(section, dashboard.heading)
            ]
            assert sheet_rows(content, section.title) == expected


def test_secretary_report_holds_only_their_subtree(cast, as_user, talents):
    rows = sheet_rows(download(as_user(cast["secretary_a"])).content, "人才招引")
    assert ["本期引进人才", 1] in rows
    assert ["海外专业人才", 0] in rows  # the honoured talent of town B is not counted
    staff_rows = sheet_rows(download(as_user(cast["staff"])).content, "人才招引")
    assert ["本期引进人才", 2] in staff_rows and ["海外专业人才", 1] in staff_rows


def test_report_xlsx_is_the_same_bytes_for_the_same_numbers(cast, as_user, talents):
    client = as_user(cast["staff"])
    first = download(client).content
    assert download(client).content == first
    assert "filename*=utf-8" in download(client)["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.properties.creator == "相城区党建生态管理平台"


def test_report_csv_is_a_zip_of_one_bom_csv_per_section(cast, as_user, talents):
    content = download(as_user(cast["staff"]), "csv").content
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [
        "01-行动支部.csv", "02-网格化治理.csv", "03-先锋365承诺.csv", "04-结对帮扶.csv", "05-党群服务阵地.csv",
        "06-1333青年干部.csv", "07-人才招引.csv",
    ]  # fmt: skip
    data = archive.read("07-人才招引.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert ["本期引进人才", "2"] in rows


def test_report_neutralizes_formulas_from_staff_edited_names(cast, as_user, talents):
    Honour.objects.update(name='=HYPERLINK("http://x")')
    book = openpyxl.load_workbook(io.BytesIO(download(as_user(cast["staff"])).content))
    cells = [cell for row in book["人才招引"].iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert '\'=HYPERLINK("http://x")' in [cell.value for cell in cells]


def test_report_download_is_logged_and_needs_the_export_permission(cast, as_user, talents, tree):
    download(as_user(cast["secretary_a"]))
    entry = AccessLog.objects.get()
    assert entry.user == cast["secretary_a"] and entry.what.startswith("季度报表：2020年第一季度")
    reader = UserFactory(username="reader")
    AccountScope.objects.create(user=reader, organization=tree["A"])
    grant(reader, "branches.view_organization", "talent.view_talent")
    client = as_user(reader)
    assert client.get(REPORT, Q1).status_code == 200
    assert client.get(REPORT, {**Q1, "format": "xlsx"}).status_code == 403
    assert AccessLog.objects.count() == 1


# --- Closing and reopening a quarter ---------------------------------------------------------


def close(client, **params):
    return client.post(CLOSE, {**Q1, "organization": "XC", **params})


def test_closed_quarter_keeps_its_numbers_and_bytes_after_edits(cast, as_user, talents, tree):
    client = as_user(cast["staff"])
    before = download(client).content
    response = close(client)
    assert response.status_code == 302
    closed = ClosedReport.objects.get()
    assert (closed.year, closed.quarter, closed.organization, closed.closed_by) == (
        2020,
        1,
        tree["district"],
        cast["staff"],
    )
    assert bytes(closed.xlsx) == before
    (talent,) = [section for section in closed.data["sections"] if section["key"] == "talent"]
    assert talent["figures"][0] == {
        "label": "本期引进人才", "value": 2, "url": talent["figures"][0]["url"], "shortfall": False
    }  # fmt: skip

    Talent.objects.filter(pk=talents["later"].pk).update(introduced_on=date(2020, 3, 30))  # now in the quarter
    TalentFactory(organization=tree["B0102"], introduced_on=date(2020, 1, 10))
    after = download(client)
    assert after.content == before
    assert download(client, "csv").content == bytes(closed.csv_zip)
    page = client.get(REPORT, Q1)
    assert talent_figures(page)["本期引进人才"] == 2
    assert "本季度已于" in page.content.decode()
    assert talent_figures(client.get(DASHBOARD, Q1))["本期引进人才"] == 2
    # A town's report is not closed: it counts today's records.
    assert talent_figures(client.get(REPORT, {**Q1, "organization": "A"}))["本期引进人才"] == 2


def test_closing_twice_or_an_unfinished_quarter_is_refused(cast, as_user, talents):
    client = as_user(cast["staff"])
    close(client)
    again = client.post(CLOSE, {**Q1, "organization": "XC"}, follow=True)
    assert "已经关闭" in again.content.decode()
    today = timezone.localdate()
    year, quarter = today.year, quarter_of(today)
    unfinished = client.post(CLOSE, {"year": year, "quarter": quarter, "organization": "XC"}, follow=True)
    assert "尚未结束，不能关闭" in unfinished.content.decode()
    assert ClosedReport.objects.count() == 1


def test_only_district_staff_close_and_reopen(cast, as_user, talents):
    secretary = as_user(cast["secretary_a"])
    assert close(secretary, organization="A").status_code == 403
    assert "关闭本季度" not in secretary.get(REPORT, Q1).content.decode()
    close(as_user(cast["staff"]))
    closed = ClosedReport.objects.get()
    assert as_user(cast["secretary_a"]).get(f"/admin/reports/closed/{closed.pk}/reopen/").status_code == 403


def test_reopening_asks_for_a_reason_and_is_in_the_audit_history(cast, as_user, talents):
    type(cast["staff"]).objects.filter(pk=cast["staff"].pk).update(last_name="张", first_name="晓梅")
    client = as_user(cast["staff"])
    close(client)
    closed = ClosedReport.objects.get()
    url = f"/admin/reports/closed/{closed.pk}/reopen/"
    confirm = client.get(url)
    # Who closed it, by name (it said the login, staff).
    assert "确定要重新开放" in confirm.content.decode() and "由 张晓梅 关闭" in confirm.content.decode()
    assert "由 张晓梅 关闭" in client.get(REPORT, Q1).content.decode()
    assert "请填写重新开放的原因" in client.post(url, {"reason": " "}).content.decode()
    assert client.post(url, {"reason": "更正人才引进日期"}).status_code == 302
    closed.refresh_from_db()
    assert closed.reopened_by == cast["staff"] and closed.reopen_reason == "更正人才引进日期"
    latest = history_of(closed)[0]
    assert latest["label"] == "修改" and latest["user"] == cast["staff"]
    assert set(latest["changed"]) == {"重新开放人", "重新开放时间", "重新开放原因"}
    history = client.get(f"/admin/xiangcheng/closedreport/{closed.pk}/history/").content.decode()
    assert "重新开放原因" in history and "张晓梅" in history
    # Reopened, the quarter counts today's records and may be closed again.
    TalentFactory(organization=talents["a"].organization, introduced_on=date(2020, 1, 2))
    assert talent_figures(client.get(REPORT, Q1))["本期引进人才"] == 3
    close(client)
    assert ClosedReport.objects.filter(reopened_at__isnull=True).get().data != closed.data


def test_the_files_stored_at_a_closing_are_served_after_it_is_reopened(cast, as_user, talents):
    """The reopen page promised that the version closed was kept; nothing led to its files."""
    client = as_user(cast["staff"])
    close(client)
    closed = ClosedReport.objects.get()
    client.post(f"/admin/reports/closed/{closed.pk}/reopen/", {"reason": "更正"})
    TalentFactory(organization=talents["a"].organization, introduced_on=date(2020, 1, 2))
    listed = client.get("/admin/xiangcheng/closedreport/").content.decode()
    files = {kind: f"/admin/reports/closed/{closed.pk}/{kind}/" for kind in ("xlsx", "csv")}
    assert all(url in listed for url in files.values())
    assert files["xlsx"] in client.get(f"/admin/xiangcheng/closedreport/{closed.pk}/change/").content.decode()
    assert b"".join(client.get(files["xlsx"])) == bytes(closed.xlsx) != download(client).content
    assert b"".join(client.get(files["csv"])) == bytes(closed.csv_zip)
    assert AccessLog.objects.filter(what__contains="已关闭，存档文件").count() == 2
    # Not for whoever may not export, nor outside one's scope, nor another kind of file.
    assert client.get(f"/admin/reports/closed/{closed.pk}/pdf/").status_code == 404
    secretary = as_user(cast["secretary_a"])
    assert secretary.get(files["xlsx"]).status_code == 403


def test_the_database_refuses_to_change_or_delete_a_closed_report(cast, as_user, talents):
    close(as_user(cast["staff"]))
    closed = ClosedReport.objects.all()
    with pytest.raises(InternalError), transaction.atomic():
        closed.update(xlsx=b"forged")
    with pytest.raises(InternalError), transaction.atomic():
        closed.update(data={})
    with pytest.raises(InternalError), transaction.atomic():
        closed.delete()


def test_closed_reports_list_is_read_only(cast, as_user, talents):
    client = as_user(cast["staff"])
    close(client)
    page = client.get("/admin/xiangcheng/closedreport/")
    assert page.status_code == 200 and "已关闭" in page.content.decode()
    assert client.get("/admin/xiangcheng/closedreport/add/").status_code == 403


# --- Data quality and the subtree filter -----------------------------------------------------


def test_data_quality_page_counts_within_scope_and_links(cast, as_user, tree, django_assert_num_queries):
    TalentFactory(organization=tree["A0101"], introduced_on=None)
    TalentFactory(organization=tree["B0101"], introduced_on=None)
    client = as_user(cast["secretary_a"])
    page = client.get(QUALITY)
    body = page.content.decode()
    results = {result.key: result for result in page.context["results"]}
    assert results["talent_no_introduction_date"].count == 1
    assert f'href="{results["talent_no_introduction_date"].url}"' in body.replace("&amp;", "&")
    # The counts are stored until the data changes: computed again after a change, at the same
    # cost whatever the number of rows.
    with CaptureQueriesContext(connection) as stored:
        assert client.get(QUALITY).context["results"][0].count == 1
    snapshots.mark_changed()
    with CaptureQueriesContext(connection) as first:
        client.get(QUALITY)
    assert len(stored) < len(first)
    TalentFactory.create_batch(20, organization=tree["A0102"], introduced_on=None)
    with django_assert_num_queries(len(first)):
        assert client.get(QUALITY).context["results"][0].count == 21


def test_every_scoped_list_filters_by_subtree(cast, as_user, talents):
    staff = as_user(cast["staff"])
    response = staff.get("/admin/talent/talent/", {"org": "A"})
    assert {talent.name for talent in response.context["cl"].result_list} == {"甲镇人才", "二季度人才"}
    assert "所属组织（含下级）" in response.content.decode()
    assert "所属组织（含下级）" not in staff.get("/admin/talent/talent/").content.decode()
    secretary = as_user(cast["secretary_a"]).get("/admin/talent/talent/", {"org": "B"})
    assert list(secretary.context["cl"].result_list) == []


# --- The registry ----------------------------------------------------------------------------


@pytest.fixture
def extra_section(monkeypatch):
    """A section counting targets (staff may view them, secretaries may not), registered in a copy
    of the registry thrown away after the test."""
    monkeypatch.setattr(reports, "sections", reports.sections.copy())

    @register_section("extra", "附加", order=99, models=[Target])
    def extra(organization, user, start, end):
        return Section(tables=[Table("表", ["项", "数"], [["甲", Cell(1, "/x")]])])

    return extra


def test_a_section_registers_once(extra_section):
    with pytest.raises(ImproperlyConfigured):
        register_section("extra", "附加", order=99, models=[Target])(extra_section)


def test_a_section_must_name_the_models_it_counts():
    with pytest.raises(ImproperlyConfigured):
        register_section("extra", "附加", order=99, models=[])


def test_a_section_shows_only_to_users_who_may_view_its_models(cast, extra_section):
    start, end, _ = quarter_period(2020, 1)
    titles = [s.title for s in reports.compute_sections(None, cast["staff"], start, end)]
    assert titles == [
        "行动支部",
        "网格化治理",
        "先锋365承诺",
        "结对帮扶",
        "党群服务阵地",
        "1333青年干部",
        "人才招引",
        "附加",
    ]
    # The secretary may view neither cadres nor targets: no section for them, not one of zeros.
    titles = [s.title for s in reports.compute_sections(None, cast["secretary_a"], start, end)]
    assert titles == ["行动支部", "网格化治理", "先锋365承诺", "结对帮扶", "党群服务阵地", "人才招引"]


def test_a_section_of_records_the_user_may_not_open_is_not_shown(cast, as_user, talents, tree):
    """A user with a scope but without the talent permissions: no 人才招引 numbers, on the
    dashboard or in the report, although the section names no permission of its own."""
    user = UserFactory(username="members_only")
    AccountScope.objects.create(user=user, organization=tree["A"])
    grant(user, "branches.view_organization", "members.view_member", "members.view_pledge")
    start, end, _ = quarter_period(2020, 1)
    assert [s.key for s in reports.compute_sections(None, user, start, end)] == ["pledges"]
    client = as_user(user)
    dashboard = client.get(DASHBOARD, Q1)
    assert [s.key for s in dashboard.context["report"].sections] == ["pledges"]
    assert "人才招引" not in dashboard.content.decode()
    assert [s.key for s in client.get(REPORT, Q1).context["report"].sections] == ["pledges"]


def test_closed_report_holds_no_section_the_user_may_not_view(cast, as_user, talents, tree):
    with clock.travel(date(2020, 4, 15)):
        as_user(cast["staff"]).post(CLOSE, {**Q1, "organization": "XC"})
        user = UserFactory(username="closed_reports_only")
        AccountScope.objects.create(user=user, organization=tree["district"])
        grant(user, "branches.view_organization", "xiangcheng.view_closedreport")
        report = reports.load_report(2020, 1, tree["district"], user)
    assert report.closed is not None
    assert report.sections == []


def test_a_page_reads_back_only_the_rows_it_shows_and_the_files_hold_all(cast, monkeypatch):
    monkeypatch.setattr(reports, "sections", reports.sections.copy())
    many = reports.SCREEN_ROWS + 50

    @register_section("long", "长表", order=99, models=[Target])
    def long_table(organization, user, start, end):
        return Section(tables=[Table("按党组织", ["党组织", "党员"], [[f"支部{n}", n] for n in range(many)])])

    start, end, _ = quarter_period(2020, 1)
    [screen] = [s for s in reports.compute_sections(None, cast["staff"], start, end, screen=True) if s.key == "long"]
    [whole] = [s for s in reports.compute_sections(None, cast["staff"], start, end) if s.key == "long"]
    assert (len(screen.tables[0].rows), screen.tables[0].all_rows) == (reports.SCREEN_ROWS, many)
    assert (len(whole.tables[0].rows), whole.tables[0].all_rows) == (many, many)
    # Read back from the store, the cut keeps its count of all rows.
    [again] = [s for s in reports.compute_sections(None, cast["staff"], start, end, screen=True) if s.key == "long"]
    assert again.tables[0].all_rows == many
    assert f"共 {many} 行" in render_to_string("admin/reports/table.html", {"table": again.tables[0]})


def test_shares_and_averages_are_numbers_in_the_xlsx_and_read_alike_on_the_page():
    """Shares (45.3%) and averages (9.5 days) were text cells, which a spreadsheet neither sums
    nor sorts; the page showed the average as 9.50 and the file as 9.5."""
    from decimal import Decimal

    from xiangcheng.reports import Figure, percent, report_xlsx
    from xiangcheng.templatetags.portal import number

    section = Section(
        title="网格化治理",
        figures=[Figure("本期解决平均用时（天）", "9.5"), Figure("覆盖率", percent(2, 3))],
        tables=[
            Table(
                "按镇", ["镇（街道）", "平均用时（天）", "达标率", "事件"], [["9.5镇", Cell("12.0"), percent(1, 2), 3]]
            )
        ],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(report_xlsx([section], "2026年第四季度"))).active
    cells = {cell.coordinate: cell for row in sheet.iter_rows() for cell in row if cell.value is not None}
    by_value = {cell.value: cell for cell in cells.values()}
    assert by_value[9.5].number_format == "#,##0.0" and by_value[12].number_format == "#,##0.0"
    assert round(by_value[0.667].value, 3) == 0.667 and by_value[0.667].number_format == "0.0%"
    assert by_value[0.5].number_format == "0.0%" and by_value[3].number_format == "General"
    assert "9.5镇" in by_value
    assert number("9.5") == "9.5" and number(Decimal("1500000.00")) == "1,500,000.00"
    assert number(Decimal("3.14159")) == "3.14"
