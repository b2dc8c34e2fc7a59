from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from talent.models import Honour, TalentHonour
from tests.factories import TalentFactory
from xiangcheng.models import Target
from xiangcheng.targets import progress, progress_list


@pytest.fixture
def plan(db):
    return {
        "all": Target.objects.create(
            name="三年引进高层次人才",
            rule="talents_introduced",
            start=date(2018, 1, 1),
            end=date(2020, 12, 31),
            value=30,
        ),
        "thousand": Target.objects.create(
            name="千人计划专家",
            rule="talents_introduced",
            parameter='国家"千人计划"专家',
            start=date(2018, 1, 1),
            end=date(2020, 12, 31),
            value=4,
        ),
    }


def test_talents_introduced_count_by_window_and_honour(tree, plan):
    honour = Honour.objects.create(name='国家"千人计划"专家')
    inside = TalentFactory.create_batch(3, organization=tree["A"], introduced_on=date(2019, 6, 30))
    TalentFactory(organization=tree["A"], introduced_on=date(2017, 12, 31))  # before the window
    TalentFactory(organization=tree["A"], introduced_on=None)  # not introduced yet
    TalentHonour.objects.create(talent=inside[0], honour=honour, awarded_on=date(2019, 7, 1))
    on = date(2020, 12, 31)
    assert progress(plan["all"], on).actual == 3
    assert progress(plan["thousand"], on).actual == 1


def test_plan_pace_at_start_middle_and_end(tree, plan):
    TalentFactory.create_batch(10, organization=tree["A"], introduced_on=date(2018, 3, 1))
    assert progress(plan["all"], date(2018, 1, 1)).status == "on_pace"  # 10 against 0
    middle = progress(plan["all"], date(2019, 7, 2))
    assert middle.expected == 15 and middle.status == "far_behind" and middle.projected == 20
    end = progress(plan["all"], date(2020, 12, 31))
    assert (end.expected, end.actual, end.projected) == (30, 10, 10)


def test_target_list_costs_the_same_whatever_the_number_of_talents(tree, plan):
    counts = []
    for batch in (2, 40):
        TalentFactory.create_batch(batch, organization=tree["B"], introduced_on=date(2019, 1, 1))
        with CaptureQueriesContext(connection) as queries:
            progress_list(Target.objects.all(), date(2020, 1, 1))
        counts.append(len(queries))
    assert counts[0] == counts[1]
