"""Every registered admin, for every member of the cast: no page errors, outsiders see nothing,
and a secretary never reaches a row of another town."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import TalentFactory, UserFactory
from xiangcheng.scoping import is_scoped

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
CAST = ["staff", "secretary_a", "secretary_b", "outsider"]
DOMAIN_APPS = {"branches", "talent", "members", "cadres", "xiangcheng"}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(tree):
    from talent.models import ProjectStageChange, TalentProject
    from xiangcheng.models import ClosedReport

    talent = TalentFactory(name="乙镇人才", organization=tree["B0101"])
    project = TalentProject.objects.create(title="乙镇项目", enterprise="乙企业", organization=tree["B"])
    project.talents.add(talent)
    ProjectStageChange.objects.create(project=project, stage="signed", changed_on=date(2020, 1, 2))
    ClosedReport.objects.create(
        year=2020, quarter=1, organization=tree["B"], closed_by=UserFactory(), data={}, xlsx=b"", csv_zip=b""
    )
    return tree


@pytest.mark.parametrize("model", [model for model, _ in REGISTRY], ids=lambda model: model._meta.label)
@pytest.mark.parametrize("who", CAST)
def test_changelist_and_add_pages(cast, as_user, world, model, who):
    client = as_user(cast[who])
    for view in ("changelist", "add"):
        status = client.get(url(model, view)).status_code
        assert status in (200, 403), f"{view} answered {status}"
        if who == "outsider":
            assert status == 403
        if who == "staff" and view == "changelist" and model._meta.app_label in DOMAIN_APPS:
            assert status == 200


@pytest.mark.parametrize(
    "model", [model for model, _ in REGISTRY if is_scoped(model)], ids=lambda model: model._meta.label
)
def test_secretary_of_a_never_reaches_rows_of_b(cast, as_user, world, model):
    client = as_user(cast["secretary_a"])
    rows_of_b = model.objects.visible_to(cast["secretary_b"]).exclude(
        pk__in=model.objects.visible_to(cast["secretary_a"]).values("pk")
    )
    assert rows_of_b.exists()
    for obj in rows_of_b[:3]:
        for view in ("change", "delete", "history"):
            assert client.get(url(model, view, obj.pk)).status_code == 404
    changelist = client.get(url(model, "changelist"))
    if changelist.status_code == 200:
        shown = {obj.pk for obj in changelist.context["cl"].result_list}
        assert not shown & set(rows_of_b.values_list("pk", flat=True))
