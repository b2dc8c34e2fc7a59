"""A long import tells the user how far it is instead of showing a frozen page."""

import time

import pytest

from tests.factories import resident_id

pytestmark = pytest.mark.browser

ROWS = 3000
WATCH = """rows => new Promise((resolve, reject) => {
  const text = selector => (document.querySelector(selector) || {}).textContent || "";
  const started = Date.now();
  const timer = setInterval(() => {
    // The checking stage: the file's reading stage before it may still show on a busy machine.
    const stage = text(".import-progress-stage");
    if (stage.startsWith("已校验") && stage.includes(`/ ${rows} 行`)) {
      clearInterval(timer);
      resolve({stage: text(".import-progress-stage"), detail: text(".import-progress-detail"),
               time: text(".import-progress-time")});
    } else if (Date.now() - started > 60000) {
      clearInterval(timer);
      reject(new Error("no progress shown: " + document.body.innerText.slice(0, 200)));
    }
  }, 50);
  document.querySelector("input[type=submit]").click();
})"""


def roster(branch: str) -> bytes:
    numbers = (resident_id(n, birth=f"199{n // 1000}0101", region="320500") for n in range(ROWS))
    lines = "".join(f"导入党员{n},{number},{branch},2015-07-01,正式党员\n" for n, number in enumerate(numbers))
    return ("姓名,身份证号,所在党组织,入党日期,党员类别\n" + lines).encode()


def test_a_long_import_shows_its_progress_until_the_preview_arrives(login, demo, live_server, monkeypatch):
    from branches.models import Organization
    from xiangcheng import progress

    branch = Organization.objects.filter(type=Organization.Type.BRANCH).values_list("code", flat=True).first()
    report = progress.Progress.report

    def slow_report(self, total, **counts):
        report(self, total, **counts)
        time.sleep(0.3)  # long enough for the page to poll while the rows are checked

    monkeypatch.setattr(progress.Progress, "report", slow_report)
    page = login("admin")
    page.goto(f"{live_server.url}/admin/members/member/import/")
    file = {"name": "名册.csv", "mimeType": "text/csv", "buffer": roster(branch)}
    page.set_input_files("#id_import_file", files=[file])
    page.select_option("#id_format", "0")
    # Submitted and watched from inside the page: Playwright's own waits would wait for the page
    # that replaces this one, and the overlay lives only until then.
    seen = page.evaluate(WATCH, ROWS)
    assert seen["stage"].startswith("已校验") and seen["stage"].endswith(f"/ {ROWS} 行")
    assert seen["detail"].startswith(f"已读取 {ROWS} 行 / 已校验")
    assert seen["time"].startswith("已用时")

    page.locator("input[name=confirm]").wait_for(timeout=30_000)
    assert page.locator(".import-progress").count() == 0
