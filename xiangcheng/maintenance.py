"""Database upkeep after large writes."""

from django.apps import apps
from django.db import connection, models

from xiangcheng.dbroles import ANALYZE_FUNCTION


def analyze(*tables: type[models.Model]) -> int:
    """Refresh the planner's statistics of these models' tables (every model's when none are
    given); returns how many tables it analysed.

    Autovacuum analyses a table some time after it changed; until then the planner believes a
    table filled by a seed or a large import to be as small as it was, and picks nested loops
    over tables of hundreds of thousands of rows. Run this at the end of such a write.
    """
    if not tables:
        tables = apps.get_models(include_auto_created=True)
    with connection.cursor() as cursor:
        # Tables only: some models read views (pghistory's aggregate of every event table).
        existing = set(connection.introspection.table_names(cursor))
        names = sorted({model._meta.db_table for model in tables} & existing)
        # Through the owner's function (xiangcheng/dbroles.py): the portal's role owns no table,
        # and only a table's owner may analyse it.
        cursor.execute(
            f"SELECT {ANALYZE_FUNCTION}(quote_ident(name)::regclass) FROM unnest(%s::text[]) AS name", [names]
        )
    return len(names)
