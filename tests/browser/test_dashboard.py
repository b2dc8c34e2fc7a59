"""The dashboard and the quarterly report in a real browser, on the demo district."""

import io
from datetime import date

import openpyxl
import pytest

pytestmark = pytest.mark.browser

PERIOD = "year=2019&quarter=2"
Q2_2019 = (date(2019, 4, 1), date(2019, 6, 30))


def watch_errors(page) -> list:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    return errors


def introduced(organization=None) -> int:
    from talent.models import Talent

    talents = Talent.objects.filter(introduced_on__range=Q2_2019)
    if organization is not None:
        talents = talents.filter(organization__path__descendants=organization.path)
    return talents.count()


def card(page, label) -> str:
    return page.locator(".card", has_text=label).first.locator(".card-value").inner_text()


def test_staff_dashboard_draws_its_charts_and_the_report_downloads(login, demo, live_server):
    page = login("admin")
    errors = watch_errors(page)
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    charts = page.locator(".chart")
    assert charts.count() >= 3
    # ECharts draws into a canvas inside each chart container.
    page.wait_for_function(
        "document.querySelectorAll('.chart canvas').length >= document.querySelectorAll('.chart').length"
    )
    for n in range(charts.count()):
        assert charts.nth(n).locator("canvas").count() >= 1
    assert page.evaluate("typeof window.echarts") == "object"
    expected = introduced()
    assert expected > 0
    assert card(page, "本期引进人才") == f"{expected:,}"
    assert page.get_by_role("link", name="党组织").count() >= 1  # the app list is still there
    assert errors == []

    page.click("text=季度报表")
    page.wait_for_load_state()
    with page.expect_download() as info:
        page.click("text=下载 Excel（XLSX）")
    download = info.value
    assert download.suggested_filename.endswith("2019年第二季度报表.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    assert book.sheetnames == [
        "行动支部",
        "网格化治理",
        "先锋365承诺",
        "结对帮扶",
        "党群服务阵地",
        "1333青年干部",
        "人才招引",
    ]
    rows = [list(row) for row in book["人才招引"].iter_rows(values_only=True)]
    assert ["本期引进人才", expected] in [row[:2] for row in rows]
    # Chromium reports a navigation that became a download as an aborted request.
    assert [error for error in errors if "format=xlsx" not in error] == []


def test_secretary_dashboard_holds_only_their_town(login, demo, live_server):
    from branches.models import Organization

    town = Organization.objects.get(code="YH")
    page = login("secretary")
    errors = watch_errors(page)
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    page.wait_for_function("document.querySelectorAll('.chart canvas').length >= 1")
    assert card(page, "本期引进人才") == f"{introduced(town):,}"
    assert introduced(town) < introduced()
    options = page.locator("#id_organization option").all_inner_texts()
    assert options[0].strip() == town.name and "望亭" not in " ".join(options)
    assert "计划目标" not in page.content()
    assert errors == []


def test_staff_pick_an_organization_by_typing_part_of_its_name(login, demo, live_server, tmp_path):
    from branches.models import Organization

    town = Organization.objects.get(code="YH")
    page = login("admin")
    errors = watch_errors(page)
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    page.locator(".period-form .select2-selection").click()
    page.locator(".select2-search__field").fill(town.name[:2])
    page.locator(".select2-results__option", has_text=town.name).first.click()
    page.wait_for_load_state("networkidle")  # no search of the drop-down still on its way
    page.screenshot(path=tmp_path / "picker.png")
    page.locator(".period-form input[type=submit]").click()
    page.wait_for_url(f"**organization={town.code}**")
    assert card(page, "本期引进人才") == f"{introduced(town):,}"
    # select2 cancels a search that the next keystroke overtook: not an error anyone sees.
    assert [error for error in errors if not error.startswith(f"failed: {live_server.url}/admin/organizations/")] == []


def test_after_a_change_the_dashboard_shows_its_figures_as_they_stood_then_reloads_once_they_are_counted(
    login, demo, live_server, settings, monkeypatch
):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from branches.models import Organization
    from tests.factories import TalentFactory
    from xiangcheng import snapshots

    settings.FIGURES_BACKGROUND_MS = 0  # every figure counts as slow to compute
    # Only asking whether the figures are ready reloads a page within the test's waits.
    monkeypatch.setattr(snapshots, "REFRESH_PAGE_SECONDS", 600)
    secretary = get_user_model().objects.get(username="secretary")
    town = Organization.objects.visible_to(secretary).towns().order_by("path").first()
    monkeypatch.setattr(snapshots, "PENDING_RELOAD_SECONDS", 600)
    page = login("secretary", viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    # Counted for the first time, and not within the wait: a notice that asks whether the
    # figures are there, then reloads into the page.
    expect(page.locator(".figures-pending")).to_contain_text("正在后台计算，完成后本页自动显示")
    before = introduced(town)
    expect(page.locator(".card", has_text="本期引进人才").first.locator(".card-value")).to_have_text(
        f"{before:,}", timeout=20_000
    )
    expect(page.locator(".figures-pending")).to_have_count(0)
    TalentFactory(organization=town, introduced_on=Q2_2019[0])

    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    notice = page.locator(".figures-lagging")
    assert "新近的变更正在计入，稍后刷新本页即可看到" in notice.inner_text()
    assert card(page, "本期引进人才") == f"{before:,}"
    # The page asks whether they are computed again (in this process, the live server's) and
    # reloads itself once they are, showing them.
    value = page.locator(".card", has_text="本期引进人才").first.locator(".card-value")
    expect(value).to_have_text(f"{before + 1:,}", timeout=20_000)
    expect(notice).to_have_count(0)
    snapshots.wait_for_refreshes()
    # Once a minute at most: still behind after another change, the page stays as it is.
    TalentFactory(organization=town, introduced_on=Q2_2019[0])
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    snapshots.wait_for_refreshes()
    # Asking from 0.4 s on, it would have found them ready and reloaded by now.
    page.wait_for_timeout(6000)
    expect(notice).to_have_count(1)
    assert card(page, "本期引进人才") == f"{before + 1:,}"


def test_a_page_showing_figures_as_they_stood_does_not_reload_under_someone_filling_in_its_form(
    login, demo, live_server, settings, monkeypatch
):
    import threading

    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from branches.models import Organization
    from tests.factories import TalentFactory
    from xiangcheng import snapshots

    settings.FIGURES_BACKGROUND_MS = 0
    monkeypatch.setattr(snapshots, "REFRESH_PAGE_SECONDS", 600)
    monkeypatch.setattr(snapshots, "PENDING_RELOAD_SECONDS", 600)
    secretary = get_user_model().objects.get(username="secretary")
    town = Organization.objects.visible_to(secretary).towns().order_by("path").first()
    page = login("secretary", viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    expect(page.locator(".card", has_text="本期引进人才").first).to_be_visible(timeout=20_000)
    snapshots.wait_for_refreshes()
    TalentFactory(organization=town, introduced_on=Q2_2019[0])
    # The live server's thread stores the figures only once the page is being filled in.
    go, store = threading.Event(), snapshots._store
    monkeypatch.setattr(snapshots, "_store", lambda *args, **kwargs: go.wait(60) and store(*args, **kwargs))
    page.goto(f"{live_server.url}/admin/?{PERIOD}")
    expect(page.locator(".figures-lagging")).to_have_count(1)
    page.locator("#id_year").fill("2018")
    go.set()
    snapshots.wait_for_refreshes()
    # Asking from 0.4 s on, it would have found them ready and reloaded by now.
    page.wait_for_timeout(4000)
    assert page.locator("#id_year").input_value() == "2018"
    expect(page.locator(".figures-lagging")).to_have_count(1)
