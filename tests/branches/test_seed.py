import io
import random
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from branches.models import ActionBranch, Instructor, Organization, SecretaryProject, ServiceAction
from branches.seed import seed, seed_late
from tests import clock
from tests.factories import MemberFactory


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def test_seed_demo_runs_late_seeds_and_twice_changes_nothing(db):
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    counts = [ActionBranch.objects.count(), ServiceAction.objects.count(), SecretaryProject.objects.count()]
    assert counts[0] == 11  # one per town at least, so every demo town has one
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    assert [ActionBranch.objects.count(), ServiceAction.objects.count(), SecretaryProject.objects.count()] == counts


def test_late_seed_draws_secretaries_and_members_from_the_host_subtree(db):
    log = []
    seed(scale=0.02, rng=random.Random(1), log=log.append)
    for organization in Organization.objects.filter(type=Organization.Type.BRANCH):
        MemberFactory.create_batch(3, organization=organization)
    seed_late(scale=0.1, rng=random.Random(1), log=log.append)

    assert ActionBranch.objects.count() == round(245 * 0.1)
    this_year = ServiceAction.objects.filter(served_on__year=timezone.localdate().year)
    assert this_year.aggregate(total=Sum("people_served"))["total"] == round(25_180 * 0.1)
    assert not ServiceAction.objects.filter(served_on__gt=timezone.localdate()).exists()
    assert ServiceAction.objects.filter(served_on__gte=date(timezone.localdate().year - 1, 1, 1)).count() == (
        ServiceAction.objects.count()
    )
    for branch in ActionBranch.objects.select_related("organization", "secretary__organization"):
        assert branch.secretary is not None
        subtree = branch.organization.subtree()
        assert branch.secretary.organization in subtree
        assert not branch.members.exclude(organization__in=subtree).exists()
    assert Instructor.objects.filter(role="special").count() == round(32 * 0.1)
    assert Instructor.objects.filter(role="assistant").count() == round(28 * 0.1)
    assert SecretaryProject.objects.count() == 3
