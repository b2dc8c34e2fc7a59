"""Searches served by indexes: text found by its characters (a GIN index over the characters of
a column, which serves a substring of any length, where trigrams need three), and a match on a
related row written as `<key> = ANY(ARRAY(<related rows>))`, so that several matches ORed in one
list's search stay a bitmap of index scans on the list's own table. A person's name adds its
pinyin and initials (xiangcheng/people.py `person_search`)."""

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.lookups import DataContains
from django.db.models import F, Func, Lookup, Q, TextField, Value
from django.db.models.functions import Upper


class Characters(Func):
    """The characters of a text as an array (`string_to_array(text, NULL)`): what a
    characters index holds, so "which rows contain 王 and 伟" is an index lookup at any term
    length (pg_trgm's trigrams would need three characters; most names are two or three)."""

    function = "string_to_array"
    template = "%(function)s(%(expressions)s, NULL)"
    output_field = ArrayField(TextField())


class AnyOf(Lookup):
    """`lhs = ANY(rhs)`, rhs an array (`ArraySubquery`): unlike `IN (subquery)` under an OR, an
    index condition on the list's own table."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def text_index(field: str, name: str) -> GinIndex:
    """The characters index `text_search` uses on `field`, for a model's `Meta.indexes`."""
    return GinIndex(Characters(Upper(F(field))), name=name)


def text_search(field: str, term: str) -> Q:
    """Rows whose `field` contains each word of `term`, case aside (Django's icontains), found
    through `text_index(field)`."""
    characters = sorted({character for character in term.upper() if not character.isspace()})
    contains = Q(DataContains(Characters(Upper(F(field))), Value(characters)))
    for word in term.split():
        contains &= Q(**{f"{field}__icontains": word})
    return contains


def any_of(field: str, rows) -> Q:
    """`field` is the key of one of `rows` (a queryset of one column), as `field = ANY(ARRAY(rows))`:
    the rows are read once, and the condition reaches each branch of a view (a `UNION ALL`, such
    as members.Membership), where `field IN (rows)` stays a join above it."""
    return Q(AnyOf(F(field), ArraySubquery(rows)))


def model_at(model, path: str):
    """The model at the end of `path`, foreign keys from `model` ("pledge__member": Member)."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def related_match(model, path: str, match: Q) -> Q:
    """`match`, a Q on the model at the end of `path` (foreign keys from `model`, "pledge__member";
    "" for `model` itself), as a Q on `model`: a chain of `= ANY(ARRAY(…))`, each hop served by
    the foreign key's index."""
    if not path:
        return match
    first, _, rest = path.partition("__")
    field = model._meta.get_field(first)
    related = field.related_model
    rows = related._base_manager.order_by().filter(related_match(related, rest, match)).values("pk")
    return any_of(field.attname, rows)
