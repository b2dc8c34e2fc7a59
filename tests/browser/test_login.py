import pytest

pytestmark = pytest.mark.browser


def test_admin_logs_in_and_sees_chinese_index(login, demo):
    page = login("admin")
    assert page.locator("#site-name").inner_text() == "相城区党建生态管理平台"
    assert page.get_by_role("link", name="党组织").count() >= 1
    assert "站点管理" not in page.content()
