"""Admin lists over tables that grow to millions of rows (the roster, the service log over years).

An exact `COUNT(*)` of a whole large table reads all of it, on every page view. For a list
without any condition (staff, no filter, no search), the count comes from PostgreSQL's own
estimate of the table's rows (`pg_class.reltuples`, kept by ANALYZE and autovacuum) once the
table holds more than `EXACT_UP_TO` rows; the page then says "约". A search counts its matches up
to `SEARCH_COUNT_UP_TO` (ten pages): past that the page says "超过 1000", offers those pages and
no selection across them, and the user narrows the search; a common surname across a province
would otherwise be counted row by row on every page. Any other condition (a secretary's scope, a
filter: what a dashboard number links to) keeps the exact count, which its index serves: the
subtrees a list is narrowed to (a secretary's scope, a town picked) are matched by key for the
count (`ScopedQuerySet.counted`), while its page of rows keeps the join on the path for its
ordering. A search's count is not: it is led by what the search matches.
"""

from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_UP_TO = 100_000
SEARCH_COUNT_UP_TO = 1_000


def estimated_rows(model, using="default") -> int:
    """PostgreSQL's estimate of the rows of `model`'s table; -1 when never analyzed."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row else -1


class LargeTablePaginator(Paginator):
    """A paginator whose count of a whole large table is PostgreSQL's estimate (see above)."""

    estimated = False
    # Set for a searched list (`ScopedAdminMixin.get_paginator`): its matches are counted up to
    # SEARCH_COUNT_UP_TO, and `more` says whether there are more.
    searched = False
    more = False
    # The same rows as the list's, written for a count (`ScopedQuerySet.counted`); set by the admin.
    counted_rows = None

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and not query.distinct and not query.combinator:
            rows = estimated_rows(queryset.model, queryset.db)
            if rows > EXACT_UP_TO:
                self.estimated = True
                return rows
        if query is None:
            return super().count
        if self.counted_rows is not None:
            queryset = self.counted_rows
        if self.searched:
            found = queryset.order_by()[: SEARCH_COUNT_UP_TO + 1].count()
            self.more = found > SEARCH_COUNT_UP_TO
            return min(found, SEARCH_COUNT_UP_TO)
        return queryset.count()

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # A page past those a search counted (an older link) is its last counted page.
            if self.more and int(number) > self.num_pages:
                return self.num_pages
            raise
