"""The daily reminders (`send_reminders`): each account's digest of what falls due, written into its
inbox once a day and e-mailed once where EMAIL_URL is set; the inbox shows each account only its
own messages, and the header's unread count falls once one is read."""

import smtplib
from datetime import date
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from members.models import Household, Pairing
from tests import clock
from tests.factories import MemberFactory, UserFactory
from xiangcheng.models import Message

DAY = clock.TODAY


@pytest.fixture
def unvisited(tree):
    """A paired household of town A not visited this quarter."""
    member = MemberFactory(organization=tree["A0101"])
    household = Household.objects.create(
        head="户主甲", address="一号", organization=tree["A0101"], village="村", hardship="illness",
        registered_on=date(2025, 1, 1),
    )  # fmt: skip
    Pairing.objects.create(member=member, household=household, year=DAY.year)
    return household


@pytest.fixture
def email_on(settings):
    settings.EMAIL_URL = "smtp://mail.invalid:25"
    settings.SITE_URL = "https://dj.example.gov.cn"


def send(day=DAY) -> str:
    out = StringIO()
    with clock.travel(day):
        call_command("send_reminders", stdout=out)
    return out.getvalue()


def test_digest_is_written_once_a_day(cast, unvisited):
    send()
    message = Message.objects.get(recipient=cast["secretary_a"])
    assert message.day == DAY
    assert "尚未走访的结对：1" in message.body
    assert any(item["key"] == "pairings_unvisited" and item["count"] == 1 for item in message.items)
    written = Message.objects.count()
    assert "写入站内消息 0 条" in send()
    assert Message.objects.count() == written
    # The next day brings the next digest.
    send(date(2026, 11, 19))
    assert Message.objects.filter(recipient=cast["secretary_a"]).count() == 2


def test_the_database_refuses_a_second_digest_of_a_day(cast):
    Message.objects.create(recipient=cast["staff"], day=DAY, subject="一", body="一")
    with pytest.raises(IntegrityError):
        Message.objects.create(recipient=cast["staff"], day=DAY, subject="二", body="二")


def test_nothing_due_means_no_message(cast, tree, unvisited):
    # Town B's secretary: nothing of town A is theirs, and town B has no branch rules tripped
    # once its organizations are gone from the active tree.
    tree["B"].subtree().update(is_active=False)
    send()
    assert not Message.objects.filter(recipient=cast["secretary_b"]).exists()
    assert not Message.objects.filter(recipient=cast["outsider"]).exists()


def test_without_email_url_nothing_is_mailed(cast, unvisited):
    cast["secretary_a"].email = "a@example.gov.cn"
    cast["secretary_a"].save()
    send()
    assert mail.outbox == []
    assert Message.objects.get(recipient=cast["secretary_a"]).emailed_at is None


def test_digest_is_mailed_once(cast, unvisited, email_on):
    cast["secretary_a"].email = "a@example.gov.cn"
    cast["secretary_a"].save()
    assert "发送邮件 1 封" in send()
    assert [message.to for message in mail.outbox] == [["a@example.gov.cn"]]
    body = mail.outbox[0].body
    assert "尚未走访的结对：1" in body
    assert "https://dj.example.gov.cn/admin/members/pairing/?not_visited=2026-4" in body
    assert Message.objects.get(recipient=cast["secretary_a"]).emailed_at is not None
    send()
    assert len(mail.outbox) == 1


def test_a_failed_mail_is_not_marked_sent_and_goes_next_time(cast, unvisited, email_on, monkeypatch):
    cast["secretary_a"].email = "a@example.gov.cn"
    cast["secretary_a"].save()

    def refused(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("连接断开")

    monkeypatch.setattr("xiangcheng.services.send_mail", refused)
    with pytest.raises(CommandError):
        send()
    assert Message.objects.get(recipient=cast["secretary_a"]).emailed_at is None
    monkeypatch.undo()
    send()
    assert len(mail.outbox) == 1
    assert Message.objects.get(recipient=cast["secretary_a"]).emailed_at is not None


# --- The inbox ------------------------------------------------------------------------------------


def test_inbox_shows_only_ones_own_messages(client, cast):
    own = Message.objects.create(recipient=cast["secretary_a"], day=DAY, subject="本人的提醒", body="内容")
    other = Message.objects.create(recipient=cast["secretary_b"], day=DAY, subject="他人的提醒", body="内容")
    client.force_login(cast["secretary_a"])
    listed = client.get("/admin/xiangcheng/message/")
    assert [message.pk for message in listed.context["cl"].result_list] == [own.pk]
    assert "他人的提醒" not in listed.content.decode()
    assert client.get(f"/admin/xiangcheng/message/{other.pk}/change/").status_code == 404
    assert client.get(f"/admin/xiangcheng/message/{other.pk}/history/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_unread_count_falls_after_reading(client, cast, unvisited):
    send()
    Message.objects.create(recipient=cast["secretary_a"], day=date(2026, 11, 1), subject="旧提醒", body="内容")
    client.force_login(cast["secretary_a"])
    with clock.travel():
        assert "（2条未读）" in client.get("/admin/").content.decode()
        message = Message.objects.get(recipient=cast["secretary_a"], day=DAY)
        page = client.get(f"/admin/xiangcheng/message/{message.pk}/change/").content.decode()
        assert "尚未走访的结对" in page and "/admin/members/pairing/?not_visited=2026-4" in page
        assert "（1条未读）" in client.get("/admin/").content.decode()
    message.refresh_from_db()
    assert message.read_at is not None


def test_no_one_writes_messages_in_the_admin(client, cast):
    message = Message.objects.create(recipient=cast["staff"], day=DAY, subject="提醒", body="内容")
    client.force_login(cast["staff"])
    assert client.get("/admin/xiangcheng/message/add/").status_code == 403
    assert client.post(f"/admin/xiangcheng/message/{message.pk}/delete/").status_code == 403


def test_an_account_without_a_role_has_an_inbox_too(client, db):
    user = UserFactory(username="无角色")
    client.force_login(user)
    assert client.get("/admin/xiangcheng/message/").status_code == 200


def test_inbox_pages_are_chinese(client, cast, unvisited):
    from tests.xiangcheng.test_no_english import faults

    # Named in Chinese, as the portal's users are (a Latin user name would read as English).
    cast["secretary_a"].username = "甲街道书记"
    cast["secretary_a"].save()
    send()
    message = Message.objects.get(recipient=cast["secretary_a"])
    client.force_login(cast["secretary_a"])
    with clock.travel():
        for url in ("/admin/xiangcheng/message/", f"/admin/xiangcheng/message/{message.pk}/change/", "/admin/"):
            assert faults(client.get(url).content.decode(), frozenset()) == [], url
