"""A file the portal exports imports back unchanged, for every list that takes imports: what an
office does with the quarter's spreadsheet (export, correct a few cells, import)."""

import os

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from members.admin import ExportOnly
from tests.xiangcheng.test_sqlexport import RESOURCES, sql_csv
from xiangcheng.imex import CSVFormat

# The lists that take imports (the others, such as pledges and visits, are exported only).
IMPORTED = [
    (model, resource) for model, resource in RESOURCES if not isinstance(admin.site.get_model_admin(model), ExportOnly)
]


@pytest.fixture(scope="module")
def staff(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))
        yield get_user_model().objects.get(username="admin")
        transaction.set_rollback(True)


@pytest.mark.parametrize("model,resource_class", IMPORTED, ids=[r.__name__ for _, r in IMPORTED])
def test_an_exported_csv_imports_back_unchanged(db, staff, model, resource_class):
    resource = resource_class(user=staff)
    exported = sql_csv(resource, resource.get_queryset().order_by("pk"))
    file_format = CSVFormat()
    file_format.headers = tuple(resource.get_export_headers())
    dataset = file_format.create_dataset(exported)
    result = resource_class(user=staff).import_data(dataset, dry_run=True)
    problems = [(row.number, row.error) for row in result.invalid_rows] + [
        (number, error.error) for number, errors in result.row_errors() for error in errors
    ]
    assert not problems, problems[:3]
    assert result.totals["new"] == result.totals["update"] == result.totals["delete"] == 0, result.totals
    assert result.totals["skip"] == dataset.height > 0
