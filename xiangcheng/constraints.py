"""The two database rules every app states the same way: a choice field holds one of its choices,
and a later date is not before an earlier one. One name pattern each, so a constraint can be
found by its field: `<app>_<model>_<field>_valid`, `<app>_<model>_<later>_not_before_<earlier>`."""

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
