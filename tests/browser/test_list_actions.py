"""Choosing rows of a list for an action, as a user does: the box in the header picks every row of
the page and the counter says how many (the rows' checkboxes are written by xiangcheng/admin.py
`action_checkbox`, with the markup Django's action script looks for)."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_header_box_picks_every_row_and_the_counter_follows(login, demo, live_server, width, height):
    from members.models import Visit

    page = login("admin")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/admin/members/visit/")
    rows = page.locator("#result_list input.action-select")
    shown = rows.count()
    assert shown == min(Visit.objects.count(), 100) > 0
    page.locator("#action-toggle").check()
    assert all(rows.nth(index).is_checked() for index in range(shown))
    assert f"选中了 {shown} 个中的 {shown} 个" in page.locator(".action-counter").inner_text()
    page.locator("#result_list input.action-select").first.uncheck()
    assert f"选中了 {shown} 个中的 {shown - 1} 个" in page.locator(".action-counter").inner_text()
    assert page.locator("#action-toggle").is_checked() is False
