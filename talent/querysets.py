from django.db.models import Count, F, Func, OuterRef, Subquery, Value
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
