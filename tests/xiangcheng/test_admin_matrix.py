"""Every registered admin, for every member of the cast: no page errors, outsiders see nothing,
and a secretary never reaches a row of another town."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    ActionBranchFactory,
    CadreFactory,
    InstructorFactory,
    SecretaryProjectFactory,
    ServiceActionFactory,
    TalentFactory,
    UserFactory,
    cadre_archive,
)
from xiangcheng.scoping import has_model_permission, is_scoped

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
CAST = ["staff", "secretary_a", "secretary_b", "outsider"]
DOMAIN_APPS = {"branches", "talent", "members", "cadres", "xiangcheng"}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(tree):
    from branches.models import Brand, InstructorAssignment, ServiceAttachment
    from talent.models import ProjectStageChange, TalentProject
    from xiangcheng.models import ClosedReport

    talent = TalentFactory(name="乙镇人才", organization=tree["B0101"])
    project = TalentProject.objects.create(title="乙镇项目", enterprise="乙企业", organization=tree["B"])
    project.talents.add(talent)
    ProjectStageChange.objects.create(project=project, stage="signed", changed_on=date(2020, 1, 2))
    ClosedReport.objects.create(
        year=2020, quarter=1, organization=tree["B"], closed_by=UserFactory(), data={}, xlsx=b"", csv_zip=b""
    )
    talent.support_requests.create(need="住房", raised_on="2026-01-05")
    _members_of_b(tree, talent)
    brand = Brand.objects.create(name="乙镇品牌", organization=tree["B01"])
    branch = ActionBranchFactory(name="乙镇行动支部", organization=tree["B01"], brand=brand)
    action = ServiceActionFactory(action_branch=branch, served_on=date(2026, 1, 5))
    # A row only: no file is written.
    ServiceAttachment.objects.create(action=action, file="branches/attachments/b.pdf", original_name="b.pdf")
    SecretaryProjectFactory(organization=tree["B"], started_on=date(2026, 1, 1), planned_end=date(2026, 12, 31))
    InstructorAssignment.objects.create(
        instructor=InstructorFactory(), organization=tree["B0101"], start=date(2026, 1, 1)
    )
    cadre_archive(CadreFactory(name="乙镇干部", organization=tree["B0101"]))
    return tree


def _members_of_b(tree, talent):
    from datetime import date

    from members.models import (
        CheckItem,
        Fulfilment,
        HealthCheck,
        HealthCheckScore,
        Household,
        MemberRecognition,
        MemberTransfer,
        Pairing,
        Pledge,
        Visit,
    )
    from tests.factories import MemberFactory

    member = MemberFactory(name="乙镇党员", organization=tree["B0101"])
    MemberTransfer.objects.create(
        member=member, transferred_on=date(2026, 3, 1), from_organization=tree["B0102"], to_organization=tree["B0101"]
    )
    MemberRecognition.objects.create(member=member, kind="honour", title="优秀共产党员", dated_on=date(2026, 7, 1))
    pledge = Pledge.objects.create(member=member, year=2026, pledged_on=date(2026, 1, 10))
    Fulfilment.objects.create(
        pledge=pledge, kind="talent_contact", done_on=date(2026, 2, 1), talent=talent, action="联系人才"
    )
    household = Household.objects.create(
        head="乙户主",
        address="乙村1号",
        organization=tree["B01"],
        village="乙村",
        hardship="illness",
        registered_on=date(2025, 1, 1),
    )
    pairing = Pairing.objects.create(member=member, household=household, year=2026)
    Visit.objects.create(pairing=pairing, visited_on=date(2026, 2, 2), action="送药")
    check = HealthCheck.objects.create(
        organization=tree["B0101"],
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        checked_on=date(2026, 4, 5),
        checker="督查组",
        result="good",
    )
    item = CheckItem.objects.create(name="班子建设")
    HealthCheckScore.objects.create(health_check=check, item=item, verdict="met", score=9)


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
def test_secretary_of_a_never_reaches_rows_of_b(cast, as_user, world, tree, model):
    client = as_user(cast["secretary_a"])
    # Rows of B by scope alone: the secretary of B may not hold the model permission either.
    rows_of_b = model.objects.all().within(tree["B"]).exclude(pk__in=model.objects.all().within(tree["A"]).values("pk"))
    assert rows_of_b.exists()
    # Without the model permission no id exists for them (403, as the list); with it, B's ids are 404.
    expected = 404 if has_model_permission(cast["secretary_a"], model) else 403
    for obj in rows_of_b[:3]:
        for view in ("change", "delete", "history"):
            assert client.get(url(model, view, obj.pk)).status_code == expected
    changelist = client.get(url(model, "changelist"))
    if changelist.status_code == 200:
        shown = {obj.pk for obj in changelist.context["cl"].result_list}
        assert not shown & set(rows_of_b.values_list("pk", flat=True))
