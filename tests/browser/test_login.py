import pytest

pytestmark = pytest.mark.browser


def test_admin_logs_in_and_sees_chinese_index(login, demo):
    page = login("admin")
    assert page.locator("#site-name").inner_text() == "相城区党建生态管理平台"
    assert page.get_by_role("link", name="党组织").count() >= 1
    assert "站点管理" not in page.content()
    assert "Access attempts" not in page.content()  # no English-only third-party admin


def test_secretary_sees_only_their_town(login, demo, live_server):
    from branches.models import Organization

    page = login("secretary")
    page.goto(f"{live_server.url}/admin/branches/organization/?all=")
    names = page.locator("#result_list tbody tr td.field-tree_name, #result_list tbody tr th.field-tree_name")
    shown = set(names.all_inner_texts())
    town = Organization.objects.get(code="YH")
    assert shown == {org.name for org in town.subtree()}
    assert "中共望亭镇党委" not in page.content()
