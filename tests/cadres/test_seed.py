"""Demo data: seed_demo loads the cadre files once, of the right shape, and a second run changes nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from cadres.approval import approval_form, for_forms
from cadres.models import Cadre, PracticePosting, RankChange, ReserveEntry, TrainingParticipation
from tests import clock
from xiangcheng.models import Target
from xiangcheng.targets import progress_list


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def counts():
    return [model.objects.count() for model in (Cadre, RankChange, PracticePosting, ReserveEntry, Target)]


def test_seed_demo_loads_cadre_files_once(db):
    call_command("seed_demo", scale=0.02, stdout=open("/dev/null", "w"))
    first = counts()
    call_command("seed_demo", scale=0.02, stdout=open("/dev/null", "w"))
    assert counts() == first
    assert first[0] >= 60
    assert not Cadre.objects.filter(rank_changes__isnull=True).exists()
    assert TrainingParticipation.objects.exists()
    # The 干部任免审批表 of a demo cadre is filled in: places, education with degree, résumé, family.
    assert not Cadre.objects.filter(family_members__isnull=True).exists()
    form = approval_form(for_forms(Cadre.objects.order_by("pk")).first(), clock.TODAY)
    assert form.native_place and form.full_time_education and form.resume and form.family
    cadre_targets = Target.objects.filter(rule__startswith="cadres_")
    assert cadre_targets.count() == 9
    assert all(found is not None for _, found in progress_list(cadre_targets, timezone.localdate()))
