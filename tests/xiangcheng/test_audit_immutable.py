"""The audit trail cannot be rewritten by the portal: it connects as a role that may add audit
rows but not change, delete or empty them, and owns no table whose triggers it could disable
(xiangcheng/dbroles.py). These run connected as that role, as the portal is."""

import pghistory
import pytest
from django.db import DatabaseError, connection, transaction

from members.models import Member
from tests.factories import MemberFactory
from xiangcheng.audit import log_access
from xiangcheng.dbroles import audit_tables, is_split
from xiangcheng.models import AccessLog

pytestmark = pytest.mark.skipif(
    not is_split(), reason="单一数据库角色：请设置 DATABASE_OWNER_URL（README · Database roles）"
)


@pytest.fixture
def history(tree, cast):
    member = MemberFactory(organization=tree["A0101"])
    with pghistory.context(user=cast["staff"].pk, url="/admin/members/member/"):
        Member.objects.filter(pk=member.pk).update(name="改名")  # an update event, with its context
    log_access(user=cast["staff"], action="export", what="花名册", rows=1)
    return member


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    return str(error.value)


def test_the_tests_run_as_the_portals_role_not_as_an_owner(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE members_memberevent SET name = '伪造'",
        "DELETE FROM members_memberevent",
        "TRUNCATE members_memberevent",
        "UPDATE xiangcheng_accesslog SET what = '伪造'",
        "DELETE FROM xiangcheng_accesslog",
        "TRUNCATE xiangcheng_accesslog",
        "DELETE FROM pghistory_context",
        "TRUNCATE pghistory_context",
        "ALTER TABLE members_memberevent DISABLE TRIGGER ALL",
        "DROP TRIGGER xiangcheng_no_rewrite ON members_memberevent",
        "SET session_replication_role = replica",
    ],
)
def test_each_rewrite_of_the_audit_trail_is_refused(history, sql):
    assert "permission denied" in refused(sql) or "must be owner" in refused(sql)
    assert AccessLog.objects.filter(what="花名册").exists()
    assert history.events.filter(name="改名").exists()


def test_the_context_of_an_event_may_gain_keys_but_not_change_who_acted(history):
    message = refused("UPDATE pghistory_context SET metadata = jsonb_build_object('user', -1)")
    assert "审计上下文只能补充" in message


def test_every_audit_table_is_guarded(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM unnest(%s::text[]) AS t WHERE has_table_privilege(t, 'UPDATE')"
            " OR has_table_privilege(t, 'DELETE') OR has_table_privilege(t, 'TRUNCATE')",
            [audit_tables()],
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(DISTINCT c.relname) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = 'xiangcheng_no_truncate' AND c.relname = ANY(%s)",
            [audit_tables()],
        )
        assert cursor.fetchone()[0] == len(audit_tables())
