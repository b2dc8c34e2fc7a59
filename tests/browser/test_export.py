"""Exports as a user meets them: the page says a file is being written until the download begins,
and the XLSX downloaded opens with whole ID numbers."""

import io

import openpyxl
import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_an_xlsx_export_waits_visibly_then_downloads_the_roster(login, demo, live_server, width, height, tmp_path):
    from members.models import Member

    page = login("admin")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/admin/members/member/export/")
    page.select_option("#id_format", "1")
    with page.expect_download(timeout=60_000) as started:
        page.locator("#content form input[type=submit]").click()
        page.locator(".import-progress").wait_for(timeout=5_000)
        assert "正在生成导出文件" in page.locator(".import-progress").inner_text()
    download = started.value
    assert download.suggested_filename.startswith("党员-") and download.suggested_filename.endswith(".xlsx")
    page.locator(".import-progress").wait_for(state="detached", timeout=5_000)
    page.screenshot(path=str(tmp_path / f"export-{width}.png"))
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == Member.objects.count() + 1
    numbers = set(Member.objects.values_list("id_number", flat=True))
    assert {row[rows[0].index("身份证号")] for row in rows[1:]} == numbers
