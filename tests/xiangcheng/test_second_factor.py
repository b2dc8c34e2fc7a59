"""The second sign-in step (xiangcheng/secondfactor.py). These tests sign in with the password
alone (`client.login`), as a person does; `force_login` elsewhere stands for the whole sign-in."""

import re
from base64 import b32decode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import current_code, enrol, grant
from tests.factories import UserFactory
from xiangcheng.roles import DISTRICT_STAFF

PASSWORD = "correct-horse-battery"
VERIFY, SETUP = "/admin/second-factor/", "/admin/second-factor/setup/"
# Pages with data: the dashboard, a list of people, a report, an export, a record, the import
# page's progress poll.
DATA_PAGES = [
    "/admin/",
    "/admin/members/member/",
    "/admin/reports/quarterly/",
    "/admin/members/member/export/?format=csv",
    "/admin/branches/organization/1/change/",
    "/import-progress?token=x",
]


@pytest.fixture
def staff(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="zhou")
    user.groups.add(Group.objects.get(name=DISTRICT_STAFF))
    return user


def sign_in(client, user, address="10.0.0.9"):
    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR=address
    )
    assert response.status_code == 302, "the password step itself should pass"
    return client


def typed(client, url, code, address="10.0.0.9"):
    return client.post(url, {"code": code, "next": "/admin/"}, REMOTE_ADDR=address)


def a_minute_later():
    """Past the wait that a wrong code starts (django-otp's throttling)."""
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=1), tick=True)


def setup_device(user):
    return TOTPDevice.objects.get(user=user, confirmed=False)


@pytest.mark.parametrize("url", DATA_PAGES)
def test_a_password_alone_opens_no_page_for_district_staff(client, staff, tree, url):
    sign_in(client, staff)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP + "?next=")


def test_a_password_alone_opens_no_page_for_a_user_who_may_see_full_numbers(client, tree):
    from branches.models import AccountScope

    secretary = UserFactory(username="wu")
    AccountScope.objects.create(user=secretary, organization=tree["A"])
    grant(secretary, "xiangcheng.view_full_numbers", "members.view_member")
    sign_in(client, secretary)
    assert client.get("/admin/members/member/")["Location"].startswith(SETUP)


def test_the_admin_site_itself_refuses_an_unverified_session(rf, staff):
    """Behind the middleware, the admin's own permission check asks for the second step too."""
    from django.contrib import admin
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.middleware import OTPMiddleware

    request = rf.get("/admin/")
    request.user, request.session = staff, SessionStore()
    OTPMiddleware(lambda r: None)._install_lazy_accessors(request)
    assert admin.site.has_permission(request) is False


def test_enrolment_shows_a_local_qr_code_then_recovery_codes_and_opens_the_portal(client, staff, tree):
    sign_in(client, staff)
    page = client.get(SETUP + "?next=/admin/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "设置两步验证" in html and "身份验证器" in html
    assert "<svg" in html and "<img" not in html  # drawn here, not fetched from a QR service
    device = setup_device(staff)
    key = re.search(r'<code class="second-factor-key"[^>]*>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert TOTP(b32decode(key)).token() == TOTP(device.bin_key).token()

    wrong = typed(client, SETUP, "000000" if current_code(device) != "000000" else "111111")
    assert "验证码不正确" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    with a_minute_later():
        done = typed(client, SETUP, current_code(device))
        codes = re.findall(r"<li><code>([0-9a-f]{8})</code></li>", done.content.decode())
        assert "两步验证已开启" in done.content.decode() and len(codes) == 10
        assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
        assert client.get("/admin/").status_code == 200


def test_an_enrolled_user_signs_in_with_the_apps_code(client, staff, tree):
    device = enrol(staff)
    sign_in(client, staff)
    assert client.get("/admin/members/member/")["Location"] == VERIFY + "?next=%2Fadmin%2Fmembers%2Fmember%2F"
    response = client.post(VERIFY, {"code": current_code(device), "next": "/admin/members/member/"})
    assert response.status_code == 302 and response["Location"] == "/admin/members/member/"
    assert client.get("/admin/members/member/").status_code == 200


def test_a_recovery_code_works_once(client, staff, tree):
    enrol(staff)
    from xiangcheng.secondfactor import _new_recovery_codes

    code = _new_recovery_codes(staff)[0]
    sign_in(client, staff)
    assert typed(client, VERIFY, code).status_code == 302
    assert client.get("/admin/").status_code == 200

    client.post("/admin/logout/")
    sign_in(client, staff)
    with a_minute_later():
        again = typed(client, VERIFY, code)
    assert again.status_code == 200 and "验证码不正确" in again.content.decode()


def test_a_code_typed_again_right_after_a_wrong_one_waits(client, staff, tree):
    device = enrol(staff)
    sign_in(client, staff)
    typed(client, VERIFY, "000000" if current_code(device) != "000000" else "111111")
    typed(client, VERIFY, "000000" if current_code(device) != "000000" else "111111")
    soon = typed(client, VERIFY, current_code(device))
    assert soon.status_code == 200 and "验证码连续输错，请" in soon.content.decode()
    with a_minute_later():
        assert typed(client, VERIFY, current_code(device)).status_code == 302


def test_five_wrong_codes_sign_the_user_out_and_lock_the_username(client, staff, tree):
    device = enrol(staff)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    sign_in(client, staff)
    for _ in range(4):
        assert typed(client, VERIFY, wrong).status_code == 200
    locked = typed(client, VERIFY, wrong)
    assert locked.status_code == 429 and "账号已暂时锁定" in locked.content.decode()
    assert "30 分钟后再试" in locked.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    refused = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert refused.status_code == 429


def test_secretaries_may_skip_the_step_unless_enrolled_or_required(client, cast, settings):
    secretary = cast["secretary_a"]
    secretary.set_password(PASSWORD)
    secretary.save()
    sign_in(client, secretary)
    assert client.get("/admin/").status_code == 200

    enrol(secretary)
    client.post("/admin/logout/")
    sign_in(client, secretary)
    assert client.get("/admin/")["Location"].startswith(VERIFY)

    TOTPDevice.objects.filter(user=secretary).delete()
    settings.SECOND_FACTOR_FOR_EVERYONE = True
    client.post("/admin/logout/")
    sign_in(client, secretary)
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_resetting_a_lost_phone_ends_the_verified_session(client, staff, tree):
    device = enrol(staff)
    sign_in(client, staff)
    typed(client, VERIFY, current_code(device))
    assert client.get("/admin/").status_code == 200
    call_command("reset_second_factor", staff.username, stdout=open("/dev/null", "w"))
    assert not TOTPDevice.objects.filter(user=staff).exists()
    follow = client.get("/admin/", follow=True)
    assert follow.redirect_chain[-1][0].startswith(SETUP)


def test_a_half_signed_in_user_can_sign_out(client, staff, tree):
    sign_in(client, staff)
    client.post("/admin/logout/")
    assert client.get(SETUP)["Location"].startswith("/admin/login/")


def test_the_step_pages_are_chinese_and_keep_next_on_this_site(client, staff, tree):
    enrol(staff)
    sign_in(client, staff)
    page = client.get(VERIFY + "?next=https://evil.example/").content.decode()
    assert "两步验证" in page and "恢复码" in page and "退出" in page
    assert 'value="https://evil.example/"' not in page


def test_django_otps_own_messages_are_chinese(staff):
    """django-otp ships no zh-hans catalogue; the portal's (xiangcheng/locale) gives its messages."""
    from django.utils import translation
    from django_otp.forms import OTPAuthenticationFormMixin

    with translation.override("zh-hans"):
        messages = {
            (text % {"failure_count": 3}) if code == "n_failed_attempts" else str(text)
            for code, text in OTPAuthenticationFormMixin.otp_error_messages.items()
        }
    assert "验证码不正确，请确认输入无误。" in messages
    assert not [text for text in messages if re.search(r"[A-Za-z]{3,}", text)], messages
