from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Func, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Upper

from xiangcheng.scoping import ScopedQuerySet


def normalized_id_number():
    """The document number as a person means it: no whitespace, upper case (x and X are one)."""
    return Upper(Func(F("id_number"), Value(r"\s"), Value(""), Value("g"), function="regexp_replace"))


class TalentQuerySet(ScopedQuerySet):
    def duplicated_id_numbers(self):
        """Talents whose document number, normalized, another talent of this queryset shares: the
        same person counted twice. One query; the database's unique index sees only exact matches."""
        shared = (
            self.order_by()
            .annotate(key=normalized_id_number())
            .values("key")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values("key")
        )
        return self.annotate(id_key=normalized_id_number()).filter(id_key__in=Subquery(shared))


class TalentProjectQuerySet(ScopedQuerySet):
    def with_signed_on(self):
        """Annotate `signed_on`: the date the project was signed (its first "signed" stage change),
        the date by which reports count projects and their funding."""
        stage_changes = self.model._meta.get_field("stage_changes").related_model
        first_signed = (
            stage_changes.objects.filter(project=OuterRef("pk"), stage="signed")
            .order_by("changed_on")
            .values("changed_on")[:1]
        )
        return self.annotate(signed_on=Subquery(first_signed))


CENT = Decimal("0.01")


class InvestmentTotals(NamedTuple):
    """Investments and their amount (万元), all of them and those of the period."""

    count: int
    amount: Decimal
    period_count: int
    period_amount: Decimal


class InvestmentQuerySet(ScopedQuerySet):
    def totals_by_year(self, since: date, by: str | None = None) -> dict[tuple, InvestmentTotals]:
        """{(value, year): InvestmentTotals} of these investments, the period being the days from
        `since` on; in one query. Without `by` the value is None; with it, `by` is a lookup from
        the project to what its talents hold ("talents__industry", "talents__honours__honour").

        The rule is the list filter's (`project__<by>`, where the report's numbers link): an
        investment counts once under each value one of its project's talents holds, however many
        of them hold it; a project whose talents hold none counts under no value. The amounts are
        exact sums of the distinct (investment, value) rows."""
        key = F(f"project__{by}") if by else Value(None, output_field=IntegerField())
        rows = self.order_by().values("pk", "amount", "invested_on", key=key).distinct()
        try:
            sql, params = rows.query.sql_with_params()
        except EmptyResultSet:  # a queryset Django knows is empty (.none(): no permission)
            return {}
        valued_only = 'WHERE "key" IS NOT NULL' if by else ""
        query = (
            'SELECT "key", EXTRACT(YEAR FROM "invested_on")::integer, COUNT(*), SUM("amount"), '
            'COUNT(*) FILTER (WHERE "invested_on" >= %s), SUM("amount") FILTER (WHERE "invested_on" >= %s) '
            f"FROM ({sql}) pairs {valued_only} GROUP BY 1, 2"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(query, [since, since, *params])
            found = cursor.fetchall()
        return {
            (value, year): InvestmentTotals(count, _cents(amount), period_count, _cents(period_amount))
            for value, year, count, amount, period_count, period_amount in found
        }


def _cents(amount) -> Decimal:
    return (amount or Decimal(0)).quantize(CENT)
