"""Rules about a person that every register shares (the member roll, the cadre files, the talent
pool): sex, age, and what a resident ID number says about its holder. Each rule has its Python
form, for one record, and where a check reads whole tables its SQL form beside it."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, IntegerField, Q
from django.db.models.lookups import Exact

from xiangcheng.validators import (
    DateDigits,
    id_birth_date,
    id_birth_digits_sql,
    id_number_shaped,
    id_sex,
    id_sex_sql,
    normalize_id_number,
    validate_id_number,
)

# Joining the party, or holding a rank, needs this age (the messages say 18 where they refuse it).
ADULT_AGE = 18
# The youngest age at which work may start (the Labour Law's minimum working age).
WORKING_AGE = 16


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


def years_between(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later` (a birthday on 29 February falls on 1 March)."""
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


class YearsBetween(Func):
    """`years_between(earlier, later)` in SQL: PostgreSQL's age() borrows a month when the day is
    short and a year when the month is, so its years are the whole years `years_between` counts,
    29 February included (tests/xiangcheng/test_consistency.py holds the two to it). Not
    `earlier + interval 'n years'`: that moves 29 February to 28 February, a day before the
    birthday `years_between` counts. Dates are read as timestamps without time zone, so the
    session's zone never shifts them."""

    arity = 2
    template = "EXTRACT(YEAR FROM AGE(%(expressions)s::timestamp))"
    arg_joiner = "::timestamp, "
    output_field = IntegerField()

    def __init__(self, earlier, later):
        super().__init__(later, earlier)


def is_adult(birth_date: date, on: date) -> bool:
    """Whether someone born on `birth_date` is ADULT_AGE or older on `on`."""
    return years_between(birth_date, on) >= ADULT_AGE


def id_number_disagrees(id_number: str = "id_number", birth_date: str = "birth_date", sex: str = "sex") -> Q:
    """Rows whose birth date or sex is not what their ID number says (`id_birth_date`, `id_sex`),
    among those whose ID number has the shape of one; a malformed number is a fault of its own,
    and a blank birth date says nothing against the number."""
    return id_number_shaped(id_number) & (
        ~Exact(id_birth_digits_sql(id_number), DateDigits(birth_date)) | ~Exact(F(sex), id_sex_sql(id_number))
    )


class IdentifiedByIdNumber:
    """For a model with `id_number`, `birth_date` and `sex` fields, where the ID number decides the
    other two. The ID number field carries `validate_id_number`, which reports a wrong number."""

    def fill_from_id_number(self) -> dict[str, str]:
        """Normalize the ID number; if it is valid, set the birth date from it, and the sex where it
        is blank. Returns the errors by field: a sex the number contradicts. An invalid number
        changes nothing else and adds no error of its own (its validator says it, once)."""
        self.id_number = normalize_id_number(self.id_number)
        try:
            validate_id_number(self.id_number)
        except ValidationError:
            return {}
        self.birth_date = id_birth_date(self.id_number)
        derived = id_sex(self.id_number)
        if not self.sex:
            self.sex = derived
        elif self.sex != derived:
            return {"sex": f"性别与身份证号不符：身份证号显示为{Sex(derived).label}。"}
        return {}

    def validate_constraints(self, exclude=None):
        # A blank sex is filled from the ID number in clean(); still blank means the ID number
        # was invalid, which its own message already says.
        if not self.sex:
            exclude = {*(exclude or ()), "sex"}
        super().validate_constraints(exclude)
