"""Figures computed once per state of the data: the dashboard's and the report's sections and the
completion page are stored with the data version they were computed at and served from there
until the data changes, so their cost on a view does not grow with the district.

The data version is the number of writing statements ever run on the portal's tables: a
statement-level trigger on each of them (`install_change_triggers`, after every migrate) adds a
row to `xiangcheng_datachange`, in the writer's transaction, and the version is the sum of those
rows' weights. So a reader sees a new version exactly when it can see the new rows, and writers
never wait for each other (each only inserts). `compact` folds the rows into one of the same
total weight.

A figure is read back only under the version read before it was computed; the computing
statements run after that read and see at least that state, so a figure is never older than its
version says. Figures also carry the day (a figure judged "today"), the organization and the
user's scope and permissions; `migrate` empties the store, as a release may count differently.
"""

import hashlib
import json

from django.apps import apps
from django.db import connection, connections, router
from django.utils import timezone

from xiangcheng.scoping import scope_paths, sees_whole_district

CHANGE_FUNCTION = "xiangcheng_data_changed"
# Apps whose tables the figures count; the audit trail is left out (it changes only with a table
# that is counted, or on a read: the access log) and so are the tables below, which reading
# pages write to (an inbox message is marked read when opened).
COUNTED_APPS = ("branches", "members", "cadres", "talent", "xiangcheng")
NOT_COUNTED = ("ImportUpload", "DataChange", "Snapshot", "Message")
# Above this many change rows the next computed figure folds them into one.
COMPACT_ABOVE = 1000


def _models(name):
    return apps.get_model("xiangcheng", name)


def _change_table() -> str:
    return connection.ops.quote_name(_models("DataChange")._meta.db_table)


def counted_tables() -> list[str]:
    """The tables whose writes change the data version."""
    from xiangcheng.dbroles import audit_tables

    skipped = {*audit_tables(), *(_models(name)._meta.db_table for name in NOT_COUNTED)}
    tables = {
        model._meta.db_table
        for app_label in COUNTED_APPS
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - skipped)


def install_change_triggers(cursor, quote, existing: set) -> None:
    """The change trigger on every counted table (idempotent; run by `secure_schema`)."""
    change_table = _change_table()
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {CHANGE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {change_table} (weight) VALUES (1);
            RETURN NULL;
        END $$;
        """
    )
    for table in counted_tables():
        if table in existing:
            cursor.execute(
                f"""
                DROP TRIGGER IF EXISTS xiangcheng_data_changed ON {quote(table)};
                CREATE TRIGGER xiangcheng_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
                    ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {CHANGE_FUNCTION}();
                """
            )


def data_version() -> tuple[int, int]:
    """(the data version, how many change rows make it up), read where the figures are counted:
    in a page that reads from a replica (xiangcheng/replicas.py), on that replica, so a figure is
    never stored under a version newer than the rows it counted."""
    with connections[router.db_for_read(_models("DataChange"))].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(weight), 0), COUNT(*) FROM {_change_table()}")
        version, rows = cursor.fetchone()
    return int(version), rows


def mark_changed() -> None:
    """What any write to a counted table does: figures stored so far are computed again on their
    next view (for the benches and tests that measure that computing)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_change_table()} (weight) VALUES (1)")


def compact() -> None:
    """Fold the change rows into one row of the same weight, and drop figures of past days."""
    table = _change_table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} RETURNING weight) "
            f"INSERT INTO {table} (weight) SELECT SUM(weight) FROM gone HAVING COUNT(*) > 0"
        )
    _models("Snapshot").objects.filter(day__lt=timezone.localdate()).delete()


def scope_key(user) -> str:
    """What, besides the request's own choices, a figure depends on: the user's scope and
    permissions (a section may count only what the user may view); worked out once per user object."""
    if not hasattr(user, "_snapshot_scope"):
        scope = "district" if sees_whole_district(user) else ",".join(sorted(map(str, scope_paths(user))))
        permissions = ",".join(sorted(user.get_all_permissions()))
        user._snapshot_scope = hashlib.sha256(f"{scope}|{permissions}".encode()).hexdigest()[:32]
    return user._snapshot_scope


def snapshot_key(user, *parts) -> str:
    return json.dumps([scope_key(user), *(str(part) for part in parts)], ensure_ascii=False)


def figures(computations: dict) -> dict:
    """{name: the JSON data `computations[name]()` returns}, each read from the store when it was
    computed at the current data version, the rest computed now and stored. `name` is a
    `snapshot_key` (the user's scope and the page's choices). Two queries when
    every figure is stored."""
    Snapshot = _models("Snapshot")
    day = timezone.localdate()
    version, rows = data_version()
    stored = dict(
        Snapshot.objects.filter(key__in=list(computations), version=version, day=day).values_list("key", "data")
    )
    missing = [key for key in computations if key not in stored]
    if not missing:
        return stored
    computed = {key: computations[key]() for key in missing}
    Snapshot.objects.bulk_create(
        [Snapshot(key=key, version=version, day=day, data=data) for key, data in computed.items()],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["version", "day", "data", "computed_at"],
    )
    if rows > COMPACT_ABOVE:
        compact()
    return {**stored, **computed}


def empty_store_after_migrate(sender, using="default", **kwargs) -> None:
    """A release may count differently: after `migrate` every figure is computed afresh."""
    Snapshot = _models("Snapshot")
    if Snapshot._meta.db_table in connections[using].introspection.table_names():
        Snapshot.objects.using(using).all().delete()
