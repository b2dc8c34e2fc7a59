"""Counts compiled around ORM querysets, for the pages that show many numbers at once: each
queryset is compiled to SQL by Django (scope, filters and joins as the ORM writes them) and the
counting is wrapped around it, so many numbers cost one query."""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import BooleanField, Count, Expression, ExpressionWrapper, IntegerField, Q, Subquery, Value
from django.db.models.functions import Coalesce


def count_each(querysets: Iterable[models.QuerySet]) -> list[int]:
    """How many rows each queryset yields (what its `count()` would say), all counted in one
    query; none for no querysets."""
    return [count for count, _ in count_and_earliest((queryset, None) for queryset in querysets)]


def count_and_earliest(pairs: Iterable[tuple[models.QuerySet, Expression | None]]) -> list[tuple[int, object]]:
    """For each (queryset, expression): how many rows the queryset yields and the least value of
    the expression over them (None without an expression or without rows), all in one query."""
    selects, params, using = [], [], DEFAULT_DB_ALIAS
    for queryset, expression in pairs:
        # The database the querysets read from (a read replica's, in a page that reads from one).
        using = queryset.db
        try:
            sql, query_params = queryset.order_by().query.sql_with_params()
        except EmptyResultSet:  # a filter Django knows matches nothing (pk__in=[])
            selects.append("0, NULL")
            continue
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")
        params.extend(query_params)
        if expression is None:
            selects.append("NULL")
            continue
        # Apart from the count: the expression may join rows the count must not see twice.
        sql, query_params = (
            queryset.order_by().annotate(earliest_value=expression).values("earliest_value").query.sql_with_params()
        )
        selects.append(f"(SELECT MIN(earliest_value) FROM ({sql}) earliest)")
        params.extend(query_params)
    if not selects:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        values = cursor.fetchone()
    return [(int(values[index]), values[index + 1]) for index in range(0, len(values), 2)]


def count_per_group(rows, group: str, flags: dict[str, Q]) -> list[dict]:
    """For each value of `group` over `rows`: `rows` (the count of rows) and, per name in `flags`,
    the rows meeting its condition. The rows are a derived table, so a condition may read a
    per-row aggregate (an aggregate cannot be grouped again within one ORM query)."""
    per_row = rows.annotate(**{name: ExpressionWrapper(flag, BooleanField()) for name, flag in flags.items()})
    sql, params = per_row.values("pk", group, *flags).order_by().query.sql_with_params()
    counts = ", ".join(f'COUNT(*) FILTER (WHERE "{name}") AS "{name}"' for name in flags)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f'SELECT "{group}", COUNT(*) AS "rows", {counts} FROM ({sql}) per_row GROUP BY 1', params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def count_subquery(rows):
    """How many `rows` there are (a queryset referring to the outer row by OuterRef), as a
    correlated subquery for an annotation: 0 rather than NULL for none. For a count per listed
    row where joining several relations would multiply each other's rows."""
    counted = rows.order_by().annotate(group=Value(1)).values("group").annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
