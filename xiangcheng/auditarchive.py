"""The audit trail past its retention: `manage.py archive_audit` (monthly, as the owner role)
moves the rows of every audit table (the pghistory event tables, the access log) older than
AUDIT_RETENTION_MONTHS into the table of the same name in the `audit_archive` schema
(made and kept in step with the live tables after every migrate: xiangcheng/dbroles.py
`prepare_archive`). The live tables stay as large as the retention window, whatever the years
of history; the archive stays readable: a record's history reads both (`archived_events`), and
the archived access log is indexed by time and by account.

The portal's role may read the archive but neither write nor delete in it, and cannot move rows
there itself: it may not delete from the live tables.
"""

import json
from contextlib import nullcontext

import pghistory.models
import pgtrigger
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xiangcheng.dbroles import ARCHIVE_SCHEMA, audit_tables, table_columns
from xiangcheng.retention import checked_retention, months_before


def archive_cutoff(months: int | None = None, today=None):
    """The first moment kept live: midnight (Asia/Shanghai) `months` months before today."""
    months = checked_retention(settings.AUDIT_RETENTION_MONTHS if months is None else months)
    day = months_before(today or timezone.localdate(), months)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day))


def archive_before(cutoff) -> dict[str, int]:
    """Move every audit row written before `cutoff` to the archive, a transaction per table;
    {table: rows moved}. Run connected as the owner role (xiangcheng/dbroles.py as_owner)."""
    access_log = apps.get_model("xiangcheng", "AccessLog")._meta.db_table
    moved = {}
    for table in audit_tables():
        with transaction.atomic(), connection.cursor() as cursor:
            columns = table_columns(cursor, "public", table)
            if not columns:
                continue
            when = "pgh_created_at" if "pgh_created_at" in columns else "at"
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            quoted = connection.ops.quote_name(table)
            with pgtrigger.ignore("xiangcheng.AccessLog:append_only") if table == access_log else nullcontext():
                cursor.execute(
                    f"WITH moved AS (DELETE FROM public.{quoted} WHERE {when} < %s RETURNING {names})"
                    f" INSERT INTO {ARCHIVE_SCHEMA}.{quoted} ({names}) SELECT {names} FROM moved",
                    [cutoff],
                )
                moved[table] = cursor.rowcount
    return moved


def archived_events(obj) -> list[dict]:
    """The archived events of one record (oldest first), shaped as history_of reads the live ones."""
    selects = []
    for model in apps.get_models():
        if not issubclass(model, pghistory.models.Event) or not model._meta.managed:
            continue
        tracked = getattr(model, "pgh_tracked_model", None)
        if tracked is None or tracked._meta.concrete_model is not obj._meta.concrete_model:
            continue
        if not any(field.name == "pgh_obj" for field in model._meta.fields):
            continue
        table = f"{ARCHIVE_SCHEMA}.{connection.ops.quote_name(model._meta.db_table)}"
        selects.append(
            f"""
            SELECT a.pgh_created_at, a.pgh_id, a.pgh_label,
                   (SELECT jsonb_object_agg(key, value) FROM jsonb_each(to_jsonb(a))
                    WHERE left(key, 4) <> 'pgh_') AS pgh_data,
                   c.metadata AS pgh_context
            FROM {table} a LEFT JOIN pghistory_context c ON c.id = a.pgh_context_id
            WHERE a.pgh_obj_id = %s
            """
        )
    if not selects:
        return []
    with connection.cursor() as cursor:
        pk = obj._meta.pk.get_db_prep_value(obj.pk, connection)
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 2", [pk] * len(selects))
        # Django's PostgreSQL backend hands JSON columns of raw queries back as text.
        return [
            {"pgh_created_at": at, "pgh_label": label, "pgh_data": _json(data) or {}, "pgh_context": _json(context)}
            for at, _, label, data, context in cursor.fetchall()
        ]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value
