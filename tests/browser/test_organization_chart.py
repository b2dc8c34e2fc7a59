"""The organization chart (组织图) in a real browser, on the demo district: ECharts draws the tree
of the user's scope into a canvas, a click on a dot opens a town, a click on a name lands on that
organization's members list, and the chart fits a phone and a desktop screen."""

import pytest

pytestmark = pytest.mark.browser

CHART = "/admin/branches/organization/chart/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The chart's option as ECharts holds it (the nodes drawn), read from the page.
OPTION = "echarts.getInstanceByDom(document.getElementById('organization-chart')).getOption().series[0].data[0]"
# Where ECharts drew a node: its dot's centre, in the page's pixels.
NODE_AT = """name => {
  const chart = echarts.getInstanceByDom(document.getElementById('organization-chart'));
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const [x, y] = data.getItemGraphicEl(data.indexOfName(name)).transformCoordToGlobal(0, 0);
  const box = document.querySelector('#organization-chart canvas').getBoundingClientRect();
  return {x: box.left + x, y: box.top + y};
}"""


def watch_errors(page) -> list:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    return errors


def open_chart(page, live_server):
    page.goto(f"{live_server.url}{CHART}")
    page.wait_for_function("document.querySelector('#organization-chart canvas') !== null")
    # The first frame drawn (the animation ends in 300 ms).
    page.wait_for_timeout(600)
    return page.evaluate(OPTION)


def dot(page, name: str) -> dict:
    page.locator("#organization-chart").scroll_into_view_if_needed()
    return page.evaluate(NODE_AT, name)


def test_staff_chart_draws_the_district_and_its_towns_and_opens_a_town(login, demo, live_server, tmp_path):
    from branches.models import Organization

    district = Organization.objects.get(code="XC")
    towns = list(Organization.objects.towns().values_list("name", flat=True))
    page = login("admin", viewport=DESKTOP)
    errors = watch_errors(page)
    root = open_chart(page, live_server)
    assert root["name"] == district.name
    assert [town["name"] for town in root["children"]] == towns
    assert all(town["collapsed"] for town in root["children"] if town.get("children"))
    assert page.locator('.org-view-switch a[aria-current="page"]').inner_text() == "组织图"
    # The chosen organization's numbers above the chart: the district's, each a link to its list.
    members = page.locator("#organization-chart-detail .org-chart-number a").first
    assert members.inner_text().replace("\n", "").endswith("在册党员（名）")
    assert members.get_attribute("href").endswith("?status__exact=on_roll&org=XC")

    town = root["children"][0]
    height = page.locator("#organization-chart").bounding_box()["height"]
    at = dot(page, town["name"])
    page.mouse.click(at["x"], at["y"])
    page.wait_for_timeout(600)
    opened = page.evaluate(OPTION)["children"][0]
    assert opened["collapsed"] is False
    assert page.locator("#organization-chart").bounding_box()["height"] >= height
    assert page.locator("#organization-chart-detail h2").inner_text().startswith(town["name"])
    page.screenshot(path=tmp_path / "chart-desktop.png", full_page=True)
    assert errors == []


def test_secretary_chart_holds_their_town_and_a_name_opens_its_members(login, demo, live_server, tmp_path):
    from branches.models import Organization
    from members.models import Member

    town = Organization.objects.get(code="YH")
    page = login("secretary", viewport=PHONE)
    errors = watch_errors(page)
    root = open_chart(page, live_server)
    assert root["name"] == town.name
    data = page.locator("#organization-chart-data").text_content()
    assert "望亭" not in data and "中共苏州市相城区委员会" not in data
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
    page.screenshot(path=tmp_path / "chart-phone.png", full_page=True)

    on_roll = Member.objects.filter(status="on_roll", organization__path__descendants=town.path).count()
    assert root["counts"][0] == on_roll
    child = root["children"][0]
    at = dot(page, child["name"])
    # The name is drawn right of a closed node's dot.
    with page.expect_navigation():
        page.mouse.click(at["x"] + 30, at["y"] - 6)
    assert page.url.endswith(f"/admin/members/member/?status__exact=on_roll&org={child['code']}")
    shown = page.locator("#result_list tbody tr").count()
    branch = Organization.objects.get(code=child["code"])
    expected = Member.objects.filter(status="on_roll", organization__path__descendants=branch.path).count()
    assert child["counts"][0] == expected
    assert shown == min(expected, 100)
    assert errors == []
