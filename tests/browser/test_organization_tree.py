"""The organization tree in a real browser, on the demo district: a town opens in place when its
toggle is clicked, and the tree fits a phone."""

import pytest

pytestmark = pytest.mark.browser

ORGS = "/admin/branches/organization/"


def watch_errors(page) -> list:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    return errors


def test_staff_open_a_town_by_clicking_and_see_its_branches(login, demo, live_server):
    from branches.models import Organization

    town = Organization.objects.get(code="YH")
    general = Organization.objects.get(code="YH01")
    direct = Organization.objects.get(code="YHQ01")
    page = login("admin")
    errors = watch_errors(page)
    page.goto(f"{live_server.url}{ORGS}")
    tree = page.locator("#organization-tree")
    assert tree.get_by_role("link", name=town.name, exact=True).is_visible()
    assert tree.get_by_role("link", name="中共望亭镇党委", exact=True).is_visible()
    assert tree.get_by_role("link", name=general.name, exact=True).count() == 0  # not sent until asked for

    toggle = tree.locator('.org-tree-toggle[data-children$="?parent=YH"]')
    assert toggle.get_attribute("aria-label") == f"展开{town.name}的下级组织"
    with page.expect_response(lambda response: response.url.endswith("?parent=YH")):
        toggle.click()
    tree.get_by_role("link", name=general.name, exact=True).wait_for()
    assert tree.get_by_role("link", name=direct.name, exact=True).is_visible()
    assert page.url == f"{live_server.url}{ORGS}"  # opened in place, not by a new page
    assert toggle.get_attribute("aria-expanded") == "true"
    assert toggle.get_attribute("aria-label") == f"收起{town.name}的下级组织"
    assert tree.get_by_role("link", name=f"展开{general.name}的下级组织").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone

    toggle.click()
    assert not tree.get_by_role("link", name=general.name, exact=True).is_visible()
    assert errors == []
