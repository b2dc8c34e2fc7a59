import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import UserFactory


def test_five_failed_logins_lock_the_username_from_that_address(client, db):
    UserFactory(username="zhang", password="correct-horse-battery")
    for _ in range(5):
        client.post("/admin/login/", {"username": "zhang", "password": "wrong"}, REMOTE_ADDR="10.0.0.5")
    locked = client.post(
        "/admin/login/", {"username": "zhang", "password": "correct-horse-battery"}, REMOTE_ADDR="10.0.0.5"
    )
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    other_address = client.post(
        "/admin/login/", {"username": "zhang", "password": "correct-horse-battery"}, REMOTE_ADDR="10.0.0.6"
    )
    assert other_address.status_code == 302


def test_client_address_behind_proxy_is_read_from_forwarded_for(settings, client, db):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    UserFactory(username="li", password="correct-horse-battery")
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "li", "password": "wrong"},
            REMOTE_ADDR="172.16.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7, 172.16.0.1",
        )
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"


def test_sessions_expire_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_passwords_need_twelve_characters(db):
    with pytest.raises(ValidationError) as error:
        validate_password("Zx9-short")
    assert error.value.messages == ["密码太短，至少需要 12 个字符。"]
    validate_password("相城区-party-2026-strong")


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin/", ""])
def test_a_sign_in_without_a_safe_next_lands_on_the_dashboard(client, db, next_url):
    UserFactory(username="wang", password="correct-horse-battery", is_staff=True)
    response = client.post(
        "/admin/login/?next=" + next_url, {"username": "wang", "password": "correct-horse-battery", "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
