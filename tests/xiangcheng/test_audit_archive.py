"""The audit trail past its retention (xiangcheng/auditarchive.py): `manage.py archive_audit` moves
rows older than AUDIT_RETENTION_MONTHS out of the live tables into the audit_archive schema,
keeps newer ones live, and a record's history still shows both; a retention under the legal six
months is refused; the portal's role still cannot delete audit rows, live or archived."""

from datetime import date

import pgtrigger
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from members.models import Member
from tests.factories import MemberFactory
from xiangcheng.audit import history_of, log_access
from xiangcheng.auditarchive import archive_before
from xiangcheng.dbroles import ARCHIVE_SCHEMA, as_owner, audit_tables, is_split
from xiangcheng.models import AccessLog
from xiangcheng.retention import checked_retention, months_before


def owner_sql(sql: str, params=()):
    with as_owner(), connection.cursor() as cursor, pgtrigger.ignore("xiangcheng.AccessLog:append_only"):
        cursor.execute(sql, params)


def count(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.fixture
def aged(transactional_db, tree, cast):
    """A member created 13 months ago and renamed last week, two months after a log entry of 13
    months ago; the access log has one entry of 13 months ago and one of today."""
    member = MemberFactory(organization=tree["A0101"], name="张旧名")
    member.name = "张新名"
    member.save()
    log_access(user=cast["staff"], action="export", what="旧花名册", rows=1)
    log_access(user=cast["staff"], action="export", what="新花名册", rows=1)
    owner_sql(
        "UPDATE members_memberevent SET pgh_created_at = now() - interval '13 months'"
        " WHERE pgh_obj_id = %s AND pgh_label = 'insert'",
        [member.pk],
    )
    owner_sql("UPDATE members_memberevent SET pgh_created_at = now() - interval '7 days' WHERE pgh_label = 'update'")
    owner_sql("UPDATE xiangcheng_accesslog SET at = now() - interval '13 months' WHERE what = '旧花名册'")
    yield member
    # The archive is no table the test runner empties between tests.
    owner_sql(";".join(f'TRUNCATE {ARCHIVE_SCHEMA}."{table}"' for table in audit_tables()))


def test_rows_older_than_the_retention_move_to_the_archive_and_newer_stay(aged, settings):
    settings.AUDIT_RETENTION_MONTHS = 12
    call_command("archive_audit", stdout=open("/dev/null", "w"))
    live = "SELECT count(*) FROM members_memberevent WHERE pgh_obj_id = %s AND pgh_label = %s"
    archived = f"SELECT count(*) FROM {ARCHIVE_SCHEMA}.members_memberevent WHERE pgh_obj_id = %s AND pgh_label = %s"
    assert count(live, [aged.pk, "insert"]) == 0
    assert count(archived, [aged.pk, "insert"]) == 1
    assert count(live, [aged.pk, "update"]) == 1
    assert count(archived, [aged.pk, "update"]) == 0
    assert list(AccessLog.objects.values_list("what", flat=True)) == ["新花名册"]
    assert count(f"SELECT count(*) FROM {ARCHIVE_SCHEMA}.xiangcheng_accesslog WHERE what = '旧花名册'") == 1

    # Run again, nothing more moves.
    call_command("archive_audit", stdout=open("/dev/null", "w"))
    assert count(archived, [aged.pk, "insert"]) == 1 and count(live, [aged.pk, "update"]) == 1


def test_a_records_history_shows_its_archived_events_too(aged, as_user, cast):
    call_command("archive_audit", stdout=open("/dev/null", "w"))
    history = history_of(Member.objects.get(pk=aged.pk))
    assert [event["label"] for event in history] == ["修改", "新增"]
    assert "姓名" in history[0]["changed"]  # the update compared with the archived insert
    page = as_user(cast["staff"]).get(f"/admin/members/member/{aged.pk}/history/")
    assert page.status_code == 200
    assert page.content.decode().count("<td>新增</td>") == 1
    assert page.content.decode().count("<td>修改</td>") == 1


def test_the_portals_role_still_cannot_delete_audit_rows_live_or_archived(aged):
    if not is_split():
        pytest.skip("单一数据库角色：请设置 DATABASE_OWNER_URL（README · Database roles）")
    call_command("archive_audit", stdout=open("/dev/null", "w"))
    for sql in (
        "DELETE FROM members_memberevent",
        f"DELETE FROM {ARCHIVE_SCHEMA}.members_memberevent",
        f"UPDATE {ARCHIVE_SCHEMA}.xiangcheng_accesslog SET what = '伪造'",
        f"INSERT INTO {ARCHIVE_SCHEMA}.xiangcheng_accesslog SELECT * FROM {ARCHIVE_SCHEMA}.xiangcheng_accesslog",
        f"TRUNCATE {ARCHIVE_SCHEMA}.members_memberevent",
    ):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    # Nor can it move rows itself: the archive step needs the owner.
    with pytest.raises(DatabaseError), transaction.atomic():
        archive_before(timezone.now())
    assert count(f"SELECT count(*) FROM {ARCHIVE_SCHEMA}.members_memberevent WHERE pgh_obj_id = %s", [aged.pk]) == 1


def test_a_retention_under_six_months_is_refused(db, settings):
    with pytest.raises(ImproperlyConfigured, match="须至少保留 6 个月"):
        checked_retention("5")
    assert checked_retention("6") == 6
    with pytest.raises(CommandError, match="须至少保留 6 个月"):
        call_command("archive_audit", months=5)
    settings.AUDIT_RETENTION_MONTHS = 3
    with pytest.raises(CommandError, match="AUDIT_RETENTION_MONTHS=3 过短"):
        call_command("archive_audit")


def test_reading_one_records_events_uses_an_index_live_and_archived(db):
    for table in ("members_memberevent", f"{ARCHIVE_SCHEMA}.members_memberevent"):
        with transaction.atomic(), connection.cursor() as cursor:
            # On a near-empty table the planner would scan it whole; what matters is that an
            # index serves the lookup once the table is large.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN SELECT * FROM {table} WHERE pgh_obj_id = 1 ORDER BY pgh_created_at")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Cond: (pgh_obj_id = 1)" in plan, plan


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(date(2026, 12, 6), 12) == date(2025, 12, 6)
    assert months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert months_before(date(2026, 3, 15), 6) == date(2025, 9, 15)
