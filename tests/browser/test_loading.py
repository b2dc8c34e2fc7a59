"""A page on its way says so (xiangcheng/static/xiangcheng/loading.js): "正在加载…" while the
server works on the next page, gone once it has come; never for a file, whose link leaves the
page in place. The server's answer is held back here, as a slow page would be."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NOTICE = ".page-loading"
# Clicks `selector` and resolves once the notice shows, with what it says and how long after the
# click; with `back`, the browser then shows the page again from its memory (back, forward), and
# `still` says whether the notice shows after that. Watched from inside the page: Playwright's own
# waits would wait for the page that replaces this one.
WATCH = """([selector, back]) => new Promise((resolve, reject) => {
  const notice = () => document.querySelector(".page-loading");
  const shown = () => notice() !== null && notice().getBoundingClientRect().height > 0;
  const started = Date.now();
  const timer = setInterval(() => {
    if (shown()) {
      clearInterval(timer);
      const seen = {text: notice().textContent, role: notice().getAttribute("role"),
                    live: notice().getAttribute("aria-live"), after: Date.now() - started};
      if (back) {
        window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
      }
      resolve({...seen, still: shown()});
    } else if (Date.now() - started > 10000) {
      clearInterval(timer);
      reject(new Error("no notice: " + document.body.innerText.slice(0, 200)));
    }
  }, 20);
  document.querySelector(selector).click();
})"""


def hold(page, pattern) -> list:
    """Keep the requests whose URL matches `pattern` waiting until the test lets them go."""
    held = []

    def keep(route):
        held.append(route)

    page.route(re.compile(pattern), keep)
    return held


def test_the_dashboard_says_it_is_loading_until_the_chosen_quarter_comes(login, demo, live_server):
    page = login("admin")
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator(NOTICE)).to_be_hidden()
    page.fill("#id_year", "2019")
    page.select_option("#id_quarter", "2")
    held = hold(page, r"/admin/\?year=2019&quarter=2")

    seen = page.evaluate(WATCH, [".period-form input[type=submit]", False])
    assert (seen["text"], seen["role"], seen["live"], seen["still"]) == ("正在加载…", "status", "polite", True)
    assert seen["after"] >= 300  # a page that comes within the moment never flashes it

    held[0].continue_()
    page.wait_for_url(re.compile(r"year=2019&quarter=2"))
    page.wait_for_load_state()
    expect(page.locator(NOTICE)).to_be_hidden()
    assert page.locator(".period-heading").inner_text().startswith("2019年第二季度")


def test_back_from_the_history_shows_the_page_not_the_notice(login, demo, live_server):
    page = login("admin")
    page.goto(f"{live_server.url}/admin/")
    held = hold(page, r"/admin/reports/quality/")
    seen = page.evaluate(WATCH, [".dashboard-bar a[href$='/admin/reports/quality/']", True])
    assert seen["text"] == "正在加载…" and seen["still"] is False
    held[0].abort()


def test_a_file_downloads_without_the_notice(login, demo, live_server):
    page = login("admin")
    page.goto(f"{live_server.url}/admin/reports/quarterly/?year=2019&quarter=2")
    with page.expect_download():
        page.get_by_role("link", name="下载 CSV（压缩包）").click()
    page.wait_for_timeout(600)  # twice the moment after which a page on its way says so
    expect(page.locator(NOTICE)).to_be_hidden()
    assert "page-is-loading" not in (page.locator("html").get_attribute("class") or "")
