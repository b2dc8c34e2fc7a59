"""The database rules every app states the same way: a choice field holds one of its choices, a
later date is not before an earlier one, and dated rows of one thing do not overlap. One name
pattern each, so a constraint can be found by its field: `<app>_<model>_<field>_valid`,
`<app>_<model>_<later>_not_before_<earlier>`, `<app>_<model>_no_overlap[_<suffix>]`."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models


def choices_constraint(
    field: str, choices: type[models.Choices], label: str, *, allow_blank: bool = False
) -> models.CheckConstraint:
    """The database refuses a value of `field` outside `choices` (read when the migration is made,
    so a new choice comes with its migration). `allow_blank` also lets the empty string through:
    give it where the field is `blank=True` and stays blank in the database."""
    values = [*choices.values, ""] if allow_blank else choices.values
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": values}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
        violation_error_message=f"{label}无效。",
    )


def date_order_constraint(earlier: str, later: str, message: str) -> models.CheckConstraint:
    """The database refuses a `later` date before the `earlier` one; the same day is allowed.

    An empty `later` (an open end) passes: a CHECK is only violated by false, never by NULL, and
    Django validates a model against it the same way."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{later}__gte": models.F(earlier)}),
        name=f"%(app_label)s_%(class)s_{later}_not_before_{earlier}",
        violation_error_message=message,
    )


class DateRange(models.Func):
    """daterange(start, end, '[]'): both days belong to the range; an empty end leaves it open."""

    function = "DATERANGE"
    output_field = DateRangeField()


def no_overlap_constraint(
    *fields: str, message: str, start: str = "started_on", end: str = "ended_on", suffix: str = ""
) -> ExclusionConstraint:
    """The database refuses two rows equal in every one of `fields` whose days [start, end] (both
    included, an empty end still running) overlap: an exclusion constraint over daterange
    (btree_gist, which the model's migration must create). A row may start the day after another
    ends. A NULL in `fields` equals nothing, so such a row is never refused by this constraint."""
    return ExclusionConstraint(
        name=f"%(app_label)s_%(class)s_no_overlap{f'_{suffix}' if suffix else ''}",
        expressions=[
            (DateRange(start, end, RangeBoundary(inclusive_lower=True, inclusive_upper=True)), RangeOperators.OVERLAPS),
            *((field, RangeOperators.EQUAL) for field in fields),
        ],
        violation_error_message=message,
    )


def _referenced(node) -> list[str]:
    """The fields a constraint's condition or expression names, in the order it names them."""
    if isinstance(node, models.Q):
        names = []
        for child in node.children:
            if isinstance(child, tuple):
                names.append(child[0].split("__")[0])
                names += _referenced(child[1])
            else:
                names += _referenced(child)
        return names
    if isinstance(node, models.F):
        return [node.name.split("__")[0]]
    if isinstance(node, str):
        return [node.split("__")[0]]
    if hasattr(node, "get_source_expressions"):
        return [name for source in node.get_source_expressions() for name in _referenced(source)]
    return []


def constraint_fields(model) -> dict[str, list[str]]:
    """{a constraint's message: the fields it is about}, for `model`'s constraints: the later date
    of a date order, the start of a no-overlap range, the fields of a unique constraint. A form
    shows a constraint's refusal beside the first of them it has, not at the top of the page, far
    from the field (a grid problem's 解决日期, a pledge's 党员)."""
    found = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names = list(constraint.fields)
        elif isinstance(constraint, models.CheckConstraint):
            names = _referenced(constraint.condition)
        elif isinstance(constraint, ExclusionConstraint):
            names = [name for expression, _ in constraint.expressions for name in _referenced(expression)]
        else:
            continue
        found.setdefault(str(constraint.get_violation_error_message()), list(dict.fromkeys(names)))
    return found
