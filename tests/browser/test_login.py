from base64 import b32decode

import pytest
from django_otp.oath import TOTP

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


def test_staff_enrol_an_authenticator_on_first_sign_in(login, demo):
    """admin may see full numbers, so the password leads to the set-up page: a QR code drawn on
    the page, the key to type by hand, then the code the app shows, then the recovery codes."""
    page = login("admin", second_step=False)
    assert "/admin/second-factor/setup/" in page.url
    assert page.locator("#content h1").first.inner_text() == "设置两步验证"
    assert page.locator(".second-factor-qr svg").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    page.goto(page.url.replace("/admin/second-factor/setup/", "/admin/"))
    assert "/admin/second-factor/setup/" in page.url  # no way round the step

    key = page.locator(".second-factor-key").inner_text().replace(" ", "")
    page.fill("#id_code", f"{TOTP(b32decode(key)).token():06d}")
    page.click("input[type=submit]")
    assert page.locator("#content h1").first.inner_text() == "两步验证已开启"
    assert page.locator(".second-factor-codes li").count() == 10
    page.get_by_role("link", name="继续").click()
    assert page.locator("#site-name").inner_text() == "相城区党建生态管理平台"
    assert page.get_by_role("link", name="两步验证").count() == 1
