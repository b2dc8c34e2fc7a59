"""Choices and date order are the database's rules (xiangcheng/constraints.py), on every model."""

import io
from datetime import date

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from pghistory.models import Event

from xiangcheng.models import AccessLog, ClosedReport

APPS = ["xiangcheng", "branches", "talent", "members", "cadres"]
# Rows the database keeps as they were (pgtrigger): a bad value is tried on a new row instead.
FROZEN = {AccessLog, ClosedReport}


def _choice_fields():
    for model in apps.get_models():
        # History rows (pghistory) copy the fields, not the rules; a proxy shares its model's table.
        if model._meta.app_label not in APPS or model._meta.proxy or issubclass(model, Event):
            continue
        for field in model._meta.concrete_fields:
            if field.choices:
                yield pytest.param(model, field, id=f"{model._meta.label}.{field.name}")


CHOICE_FIELDS = list(_choice_fields())


@pytest.fixture(scope="module")
def demo_rows(django_db_setup, django_db_blocker):
    """The demo district, and a row of each model the demo leaves empty; loaded once for this
    module and rolled back after it."""
    from django.contrib.auth import get_user_model

    from branches.models import Organization
    from members.models import Member, MemberRecognition

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", scale=0.02, stdout=io.StringIO())
        user = get_user_model().objects.create_user("constraints")
        AccessLog.objects.create(user=user, action=AccessLog.Action.EXPORT, what="党员")
        ClosedReport.objects.create(
            year=2026,
            quarter=1,
            organization=Organization.objects.first(),
            closed_by=user,
            data={},
            xlsx=b"",
            csv_zip=b"",
        )
        MemberRecognition.objects.create(
            member=Member.objects.first(), kind=MemberRecognition.Kind.DEED, title="事迹", dated_on=date(2026, 1, 1)
        )
        yield
        transaction.set_rollback(True)


def _check_constraints(model) -> dict:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name: details for name, details in found.items() if details["check"]}


def test_every_model_with_choices_is_covered():
    found = {param.id for param in CHOICE_FIELDS}
    assert {
        "members.Member.education",
        "members.Member.party_post",
        "members.Household.hardship",
        "members.HealthCheckScore.verdict",
        "cadres.Cadre.degree",
        "xiangcheng.AccessLog.action",
        "xiangcheng.ClosedReport.quarter",
    } <= found


@pytest.mark.parametrize(("model", "field"), CHOICE_FIELDS)
def test_database_refuses_a_value_outside_the_choices(demo_rows, db, model, field):
    name = f"{model._meta.app_label}_{model._meta.model_name}_{field.name}_valid"
    checks = _check_constraints(model)
    assert checks.get(name, {}).get("columns") == [field.column], f"no check constraint {name}"
    bogus = 99 if isinstance(field.choices[0][0], int) else "bogus"
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"no {model._meta.label} to try"
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        if model in FROZEN:
            row.pk = None
            setattr(row, field.attname, bogus)
            model._default_manager.bulk_create([row])
        else:
            model._default_manager.filter(pk=row.pk).update(**{field.name: bogus})
    # Refused by a check on this column: its own, or one that spells out the same values
    # (a status with its dated rule, which PostgreSQL checks first, by name).
    refused_by = refused.value.__cause__.diag.constraint_name
    assert refused_by in checks and field.column in checks[refused_by]["columns"]


@pytest.mark.parametrize(
    ("model", "field"),
    [param for param in CHOICE_FIELDS if param.values[1].blank and param.values[1].name != "sex"],
)
def test_blank_is_accepted_where_the_field_may_stay_blank(demo_rows, db, model, field):
    # A blank sex is filled from the ID number, so the database refuses it; other blank fields stay blank.
    row = model._default_manager.order_by("pk").first()
    model._default_manager.filter(pk=row.pk).update(**{field.name: ""})


def test_date_order_constraints_share_one_name(db):
    names = []
    for model in apps.get_models():
        if model._meta.app_label in APPS:
            names += [constraint.name for constraint in model._meta.constraints]
    assert not [name for name in names if name.endswith(("_after_start", "_period", "_after_raised", "_after_entry"))]
    assert {
        "branches_secretaryproject_planned_end_not_before_started_on",
        "branches_instructorassignment_end_not_before_start",
        "cadres_practiceposting_end_not_before_start",
        "cadres_reserveentry_status_on_not_before_entered_on",
        "members_healthcheck_period_end_not_before_period_start",
        "talent_overseasplacement_end_not_before_start",
        "talent_supportrequest_solved_on_not_before_raised_on",
        "xiangcheng_target_end_not_before_start",
    } <= set(names)
