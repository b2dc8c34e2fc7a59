"""The counts per pledge the database keeps (PledgeProgress): every way fulfilments are written
recounts the pledges it touched, and completion read from them equals completion counted from
the records, also for a period already over."""

from datetime import date

import pytest

from members.models import Fulfilment, Pledge, PledgeProgress
from tests.factories import MemberFactory

YEAR = 2026
NEED, PROBLEM = Fulfilment.Kind.ENTERPRISE_NEED, Fulfilment.Kind.ENTERPRISE_PROBLEM


@pytest.fixture
def pledges(tree):
    members = [MemberFactory(organization=tree["A0101"]) for _ in range(2)]
    return [Pledge.objects.create(member=member, year=YEAR, pledged_on=date(YEAR, 1, 5)) for member in members]


def record(pledge, kind, day):
    return Fulfilment(pledge=pledge, kind=kind, done_on=day, enterprise="某企业", action="上门了解需求")


def progress(pledge) -> tuple:
    row = PledgeProgress.objects.filter(pledge=pledge).first()
    return None if row is None else (row.enterprise_need, row.enterprise_problem, row.last_done_on)


def test_each_write_recounts_the_pledges_it_touched(pledges):
    first, second = pledges
    assert progress(first) is None  # nothing recorded: no row, read as zero
    one = record(first, NEED, date(YEAR, 2, 1))
    one.save()
    assert progress(first) == (1, 0, date(YEAR, 2, 1))
    Fulfilment.objects.bulk_create([record(first, PROBLEM, date(YEAR, 3, 1)), record(second, NEED, date(YEAR, 4, 1))])
    assert progress(first) == (1, 1, date(YEAR, 3, 1))
    assert progress(second) == (1, 0, date(YEAR, 4, 1))
    Fulfilment.objects.filter(pk=one.pk).update(pledge=second, kind=PROBLEM)  # moved: both recounted
    assert progress(first) == (0, 1, date(YEAR, 3, 1))
    assert progress(second) == (1, 1, date(YEAR, 4, 1))
    Fulfilment.objects.filter(pledge=first).delete()
    assert progress(first) == (0, 0, None)
    key = second.pk
    second.delete()  # with its records
    assert not PledgeProgress.objects.filter(pledge_id=key).exists()


@pytest.mark.parametrize("until", [None, date(YEAR, 3, 31), date(YEAR, 6, 30), date(YEAR, 12, 31)])
def test_completion_read_from_the_counts_equals_completion_counted_from_the_records(pledges, until):
    first, second = pledges
    Fulfilment.objects.bulk_create(
        [
            record(first, NEED, date(YEAR, 2, 1)),
            record(first, NEED, date(YEAR, 5, 1)),  # after the first quarter: not counted up to 3-31
            record(first, PROBLEM, date(YEAR, 3, 31)),
            record(second, PROBLEM, date(YEAR, 9, 1)),
        ]
    )
    counted = {p.pk: (p.done_enterprise_need, p.done_enterprise_problem) for p in Pledge.objects.with_progress(until)}
    read = {
        p.pk: (p.done_enterprise_need, p.done_enterprise_problem)
        for p in Pledge.objects.with_progress(until, grouped=True)
    }
    assert read == counted
    if until == date(YEAR, 3, 31):
        assert read == {first.pk: (1, 1), second.pk: (0, 0)}
