"""A backup restores: `manage.py backup` of a small demo district, restored by `manage.py restore`
into a fresh database and media folder, holds the same rows in every table, the same audit trail,
the same bytes of a closed quarter's files and of an uploaded attachment; a restore into a
database or media folder that is not empty is refused (xiangcheng/backups.py)."""

import os
import tarfile

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from branches.models import Organization, ServiceAction, ServiceAttachment
from xiangcheng.audit import log_access
from xiangcheng.backups import target
from xiangcheng.dbroles import ARCHIVE_SCHEMA, as_owner, audit_tables, drop_database
from xiangcheng.models import ClosedReport
from xiangcheng.services import report_close

PHOTO = b"%PDF-1.4 a photo of the service action\n" + bytes(range(256))
RESTORED = f"{django_settings.DATABASES['default']['NAME']}_restored"


def connect(dbname: str, *, as_app: bool = False):
    where = target(dbname)
    database = django_settings.DATABASES["default"]
    user, password = (database["USER"], database.get("PASSWORD")) if as_app else (where.user, where.password)
    conn = psycopg2.connect(
        dbname=dbname, user=user, password=password or None, host=where.host or None, port=where.port or None
    )
    conn.autocommit = True
    return conn


def contents(conn) -> dict:
    """Rows of every table (the archive's too); a digest of every audit table's rows and contexts."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT format('%%I.%%I', schemaname, tablename) FROM pg_tables WHERE schemaname IN ('public', %s)",
            [ARCHIVE_SCHEMA],
        )
        tables = sorted(name for (name,) in cursor.fetchall())
        cursor.execute(" UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in tables))
        found = {"rows": dict(cursor.fetchall())}
        digests = {}
        for table in [*audit_tables(), "pghistory_context"]:
            cursor.execute(f"SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM \"{table}\" t")
            digests[table] = cursor.fetchone()[0]
        found["audit"] = digests
        cursor.execute("SELECT id, md5(xlsx), md5(csv_zip), data::text FROM xiangcheng_closedreport ORDER BY id")
        found["closed"] = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        found["triggers"] = cursor.fetchone()[0]
    return found


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))
    staff = get_user_model().objects.get(username="admin")
    district = Organization.objects.order_by("path").first()
    closed = report_close(year=timezone.localdate().year - 1, quarter=4, organization=district, acting_user=staff)
    attachment = ServiceAttachment(
        action=ServiceAction.objects.order_by("pk").first(),
        original_name="照片.pdf",
        content_type="application/pdf",
        size=len(PHOTO),
    )
    attachment.file.save("photo.pdf", ContentFile(PHOTO), save=False)
    attachment.save()
    log_access(user=staff, action="export", what="花名册", rows=3)
    yield {"closed": closed, "attachment": attachment}
    with as_owner(), connection._nodb_cursor() as cursor:
        drop_database(cursor, RESTORED)


def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_audit_and_files(demo, settings, tmp_path):
    call_command("backup", stdout=open(os.devnull, "w"))
    (archive,) = (tmp_path / "backups").glob("xiangcheng-*.tar")
    with tarfile.open(archive) as opened:
        assert {"manifest.json", "database.dump", f"media/{demo['attachment'].file.name}"} <= set(opened.getnames())

    with as_owner(), connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{RESTORED}" OWNER "{target().user}"')
    call_command("restore", archive, dbname=RESTORED, media_root=tmp_path / "restored", stdout=open(os.devnull, "w"))

    original, restored = connect(target().dbname), connect(RESTORED)
    before, after = contents(original), contents(restored)
    assert before["rows"]["public.members_member"] > 0 and before["rows"]["public.members_memberevent"] > 0
    assert after["rows"] == before["rows"]
    # The same events, not doubled by triggers firing as the rows were loaded.
    assert after["audit"] == before["audit"]
    assert after["triggers"] == before["triggers"]
    assert after["closed"] == before["closed"] and len(after["closed"]) == 1
    closed = ClosedReport.objects.get()
    with restored.cursor() as cursor:
        cursor.execute("SELECT xlsx, csv_zip FROM xiangcheng_closedreport WHERE id = %s", [closed.pk])
        xlsx, csv_zip = cursor.fetchone()
    assert (bytes(xlsx), bytes(csv_zip)) == (bytes(closed.xlsx), bytes(closed.csv_zip))
    assert (tmp_path / "restored" / demo["attachment"].file.name).read_bytes() == PHOTO

    # The portal's role reads the restored database and still may not rewrite its audit trail.
    app = connect(RESTORED, as_app=True)
    with app.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_memberevent")
        assert cursor.fetchone()[0] == before["rows"]["public.members_memberevent"]
        if app.info.user != restored.info.user:
            with pytest.raises(psycopg2.Error, match="permission denied"):
                cursor.execute("DELETE FROM members_memberevent")
    for conn in (original, restored, app):
        conn.close()


def test_a_restore_into_a_database_that_is_not_empty_is_refused(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    archive = tmp_path / "backup.tar"
    with tarfile.open(archive, "w"):
        pass
    with pytest.raises(CommandError, match="目标数据库 .* 不是空的.*恢复已取消"):
        call_command("restore", archive)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "kept.pdf").write_bytes(PHOTO)
    with pytest.raises(CommandError, match="附件目录 .* 不是空的"):
        call_command("restore", archive, dbname="postgres")
    assert (tmp_path / "media" / "kept.pdf").read_bytes() == PHOTO
