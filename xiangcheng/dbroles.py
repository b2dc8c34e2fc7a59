"""Two database roles, so that the portal cannot rewrite its own audit trail.

- The **owner** role owns the schema: `migrate` (and `flush`, which truncates) connect as it
  (`as_owner`, used by this app's overrides of those commands and by the test set-up).
- The **app** role is what the portal connects as (`DATABASE_URL`): it reads and writes rows,
  nothing more; it owns no table, so it can neither alter one nor disable its triggers. On the
  audit tables (every pghistory event table, the access log) it may only add rows: UPDATE,
  DELETE and TRUNCATE are not granted, and triggers refuse them too for anyone but the owner.
  The audit context table (who, from which page) may gain keys but not change or lose them.

Audit rows older than the retention move to tables of the same names in the `audit_archive`
schema (`prepare_archive`, xiangcheng/auditarchive.py), guarded the same way; the app role may
only read them.

`secure_schema` gives the app role exactly that after every `migrate` (a post_migrate
receiver, so a new table or event table is covered without a migration of its own). Without a
separate owner (`DATABASE_OWNER_URL` unset while `DATABASE_URL` is set) there is one role and
only the triggers hold; `manage.py check --deploy` warns about it.
"""

import time
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connections

from xiangcheng.snapshots import install_change_triggers

REFUSE_FUNCTION = "xiangcheng_refuse_rewrite"
CONTEXT_FUNCTION = "xiangcheng_context_grows_only"
ANALYZE_FUNCTION = "xiangcheng_analyze"
CONTEXT_TABLE = "pghistory_context"
# Audit rows older than the retention, moved out of the live tables (xiangcheng/auditarchive.py).
ARCHIVE_SCHEMA = "audit_archive"


def owner_credentials() -> dict | None:
    """{"USER": …, "PASSWORD": …} of the owner role (and "HOST", "PORT" where it connects
    elsewhere: past PgBouncer to the primary), or None with a single role."""
    return getattr(settings, "DATABASE_OWNER", None) or None


def app_role(connection) -> str:
    return connection.settings_dict["USER"]


def is_split(connection=None) -> bool:
    connection = connection or connections[DEFAULT_DB_ALIAS]
    owner = owner_credentials()
    return bool(owner) and owner["USER"] != app_role(connection)


@contextmanager
def as_owner(connection=None):
    """Run the block on `connection` (default: the default one) connected as the owner role."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    owner = owner_credentials()
    # Inside a transaction the role cannot change without ending it (a test's migrate): the block
    # runs as it is, and secure_schema leaves the schema to the next migrate as the owner.
    if not owner or connection.settings_dict.get("_AS_OWNER") or connection.in_atomic_block:
        yield connection
        return
    place = {key: owner[key] for key in ("HOST", "PORT") if owner.get(key)}
    saved = {key: connection.settings_dict.get(key) for key in ("USER", "PASSWORD", *place)}
    connection.close()
    connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner.get("PASSWORD") or "", **place, _AS_OWNER=saved)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.pop("_AS_OWNER", None)
        connection.settings_dict.update(saved)


def drop_database(cursor, name: str, wait: float = 5.0) -> None:
    """DROP DATABASE `name` WITH (FORCE), on the owner's `cursor`, once the sessions of other
    roles on it have ended (`wait` seconds at most): a connection its client has just closed may
    still be ending on the server, and FORCE ends only what the owner may ("permission denied to
    terminate process" for the portal role's)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        if not cursor.fetchone()[0]:
            break
        time.sleep(0.05)
    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def audit_tables() -> list[str]:
    """Every table that holds the audit trail: the pghistory event tables and the access log."""
    import pghistory.models

    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if issubclass(model, pghistory.models.Event) and not model._meta.proxy and model._meta.managed
    }
    tables.add(apps.get_model("xiangcheng", "AccessLog")._meta.db_table)
    return sorted(tables)


def secure_schema(connection) -> None:
    """Grants and triggers (see the module docstring); run as the owner, idempotent. Connected as
    the app role (a migrate inside a test's transaction) there is nothing it may do here."""
    if is_split(connection):
        return
    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names())
    audit = [table for table in audit_tables() if table in existing]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {REFUSE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
                    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                END IF;
                RAISE EXCEPTION '审计记录只能新增，不能修改、删除或清空（%：%）', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            CREATE OR REPLACE FUNCTION {CONTEXT_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD.metadata <@ NEW.metadata AND OLD.id = NEW.id THEN
                    RETURN NEW;
                END IF;
                IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
                    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                END IF;
                RAISE EXCEPTION '审计上下文只能补充，不能改写或删除（%）', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            CREATE OR REPLACE FUNCTION {ANALYZE_FUNCTION}(target regclass) RETURNS void
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN
                EXECUTE format('ANALYZE %s', target);
            END $$;
            """
        )
        install_change_triggers(cursor, quote, existing)
        guarded = [*audit, CONTEXT_TABLE] if CONTEXT_TABLE in existing else audit
        for table in guarded:
            function = CONTEXT_FUNCTION if table == CONTEXT_TABLE else REFUSE_FUNCTION
            cursor.execute(
                f"""
                DROP TRIGGER IF EXISTS xiangcheng_no_rewrite ON {quote(table)};
                CREATE TRIGGER xiangcheng_no_rewrite BEFORE UPDATE OR DELETE ON {quote(table)}
                    FOR EACH ROW EXECUTE FUNCTION {function}();
                DROP TRIGGER IF EXISTS xiangcheng_no_truncate ON {quote(table)};
                CREATE TRIGGER xiangcheng_no_truncate BEFORE TRUNCATE ON {quote(table)}
                    FOR EACH STATEMENT EXECUTE FUNCTION {REFUSE_FUNCTION}();
                """
            )
        prepare_archive(cursor, quote, audit)
        # Connected as the owner for the app role (as_owner): grant it what it needs.
        app_user = (connection.settings_dict.get("_AS_OWNER") or {}).get("USER")
        if not app_user or app_user == connection.settings_dict["USER"]:
            return
        app = quote(app_user)
        # The archive is read (a record's history) and never written by the portal.
        cursor.execute(
            f"GRANT USAGE ON SCHEMA {ARCHIVE_SCHEMA} TO {app};"
            f" GRANT SELECT ON ALL TABLES IN SCHEMA {ARCHIVE_SCHEMA} TO {app};"
            f" REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
            f" ON ALL TABLES IN SCHEMA {ARCHIVE_SCHEMA} FROM {app}"
        )
        cursor.execute(
            f"""
            GRANT USAGE ON SCHEMA public TO {app};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app};
            REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {app};
            REVOKE ALL ON FUNCTION {ANALYZE_FUNCTION}(regclass) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION {ANALYZE_FUNCTION}(regclass) TO {app};
            """
        )
        for table in audit:
            cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {app}")
        if CONTEXT_TABLE in existing:
            cursor.execute(f"REVOKE DELETE ON {quote(CONTEXT_TABLE)} FROM {app}")


def table_columns(cursor, schema: str, table: str) -> dict[str, str]:
    """{column: SQL type} of a table, in column order ({} when there is no such table)."""
    cursor.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
        WHERE a.attrelid = to_regclass(format('%%I.%%I', %s::text, %s::text)) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        [schema, table],
    )
    return dict(cursor.fetchall())


def prepare_archive(cursor, quote, audit: list[str]) -> None:
    """A table in the `audit_archive` schema beside each audit table, with the live table's
    columns (a column added to the live table is added here too; none is ever dropped), indexed
    for the reads it serves, and guarded like the live one. `manage.py archive_audit` moves rows
    older than the retention into it (xiangcheng/auditarchive.py)."""
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}")
    for table in audit:
        archived = f"{ARCHIVE_SCHEMA}.{quote(table)}"
        live = table_columns(cursor, "public", table)
        kept = table_columns(cursor, ARCHIVE_SCHEMA, table)
        if not kept:
            cursor.execute(f"CREATE TABLE {archived} (LIKE public.{quote(table)})")
        for column, sql_type in live.items():
            if kept and column not in kept:
                cursor.execute(f"ALTER TABLE {archived} ADD COLUMN {quote(column)} {sql_type}")
        # Serves a record's history (xiangcheng/audit.py history_of), and the access log's lookups
        # by time and by account.
        if "pgh_obj_id" in live:
            index, columns = f"{table}_obj", "pgh_obj_id, pgh_created_at"
        elif "pgh_created_at" in live:
            index, columns = f"{table}_at", "pgh_created_at"
        else:
            index, columns = f"{table}_at", "at"
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {quote(table + '_user')} ON {archived} (user_id, at)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {quote(index)} ON {archived} ({columns})")
        cursor.execute(
            f"""
            DROP TRIGGER IF EXISTS xiangcheng_no_rewrite ON {archived};
            CREATE TRIGGER xiangcheng_no_rewrite BEFORE UPDATE OR DELETE ON {archived}
                FOR EACH ROW EXECUTE FUNCTION public.{REFUSE_FUNCTION}();
            DROP TRIGGER IF EXISTS xiangcheng_no_truncate ON {archived};
            CREATE TRIGGER xiangcheng_no_truncate BEFORE TRUNCATE ON {archived}
                FOR EACH STATEMENT EXECUTE FUNCTION public.{REFUSE_FUNCTION}();
            """
        )


def secure_schema_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    secure_schema(connections[using])


@checks.register(checks.Tags.database, deploy=True)
def check_separate_owner(app_configs=None, databases=None, **kwargs):
    if is_split():
        return []
    return [
        checks.Warning(
            "门户以数据表所有者的身份连接数据库，审计记录可被改写。",
            hint="请按 README（Operations · Database roles）创建所有者与应用两个角色，并设置 DATABASE_OWNER_URL。",
            id="xiangcheng.W001",
        )
    ]
