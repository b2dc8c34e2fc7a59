"""Invariants of the growth archive: one evaluation a year, postings that never overlap, the pool."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cadres.models import AnnualEvaluation, Cadre, PracticePosting, RankChange, ReserveEntry
from tests.factories import CadreFactory, MemberFactory, resident_id


@pytest.fixture
def cadre(tree):
    return CadreFactory(name="张青", organization=tree["A0101"])


def test_one_evaluation_per_cadre_per_year(cadre):
    AnnualEvaluation.objects.create(cadre=cadre, year=2025, grade="excellent")
    twin = AnnualEvaluation(cadre=cadre, year=2025, grade="competent")
    with pytest.raises(ValidationError, match="每人每年只能有一条"):
        twin.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    AnnualEvaluation(cadre=cadre, year=2026, grade="competent").full_clean()


def park(cadre, start, end, **kwargs):
    return PracticePosting(cadre=cadre, kind="park", host_unit="苏州工业园区", start=start, end=end, **kwargs)


def test_overlapping_posting_is_refused_with_a_chinese_message(cadre):
    park(cadre, date(2025, 1, 1), date(2025, 12, 31)).save()
    overlapping = PracticePosting(
        cadre=cadre, kind="first_secretary", host_unit="湘城村", start=date(2025, 12, 31), end=date(2027, 12, 31)
    )
    with pytest.raises(ValidationError) as error:
        overlapping.full_clean()
    assert error.value.message_dict["start"] == [
        "与该干部已有的实践锻炼时间重叠：园区挂职（苏州工业园区，2025-01-01 至 2025-12-31）。"
        "同一干部的实践锻炼不能重叠，新的锻炼最早从前一段结束的次日开始。"
    ]
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError, match="cadres_practiceposting_no_overlap"), transaction.atomic():
        overlapping.save()


def test_adjacent_postings_are_accepted(cadre):
    park(cadre, date(2025, 1, 1), date(2025, 12, 31)).save()
    following = park(cadre, date(2026, 1, 1), date(2026, 6, 30))
    following.full_clean()
    following.save()
    assert cadre.postings.count() == 2


def test_a_posting_can_be_edited_without_overlapping_itself(cadre):
    posting = park(cadre, date(2025, 1, 1), date(2025, 12, 31))
    posting.save()
    posting.end = date(2026, 3, 31)
    posting.full_clean()


def test_postings_of_different_cadres_may_overlap(cadre, tree):
    other = CadreFactory(organization=tree["A0101"])
    park(cadre, date(2025, 1, 1), date(2025, 12, 31)).save()
    park(other, date(2025, 1, 1), date(2025, 12, 31)).full_clean()


def test_posting_end_before_start_is_refused(cadre):
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        park(cadre, date(2025, 5, 1), date(2025, 4, 30)).full_clean()


def test_birth_date_and_sex_come_from_the_id_number(tree):
    cadre = Cadre(
        name="李",
        id_number=resident_id(12, birth="19900215", region="320500"),
        unit="区发改委",
        organization=tree["A"],
        line="economy",
        cadre_type="management",
    )
    cadre.full_clean()
    assert cadre.birth_date == date(1990, 2, 15)
    cadre.sex = "female" if cadre.sex == "male" else "male"
    with pytest.raises(ValidationError, match="性别与身份证号不符"):
        cadre.full_clean()


def test_invalid_and_duplicate_id_numbers_are_refused(cadre, tree):
    twin = Cadre(
        name="重复",
        id_number=cadre.id_number,
        unit="区发改委",
        organization=tree["A"],
        line="economy",
        cadre_type="management",
    )
    with pytest.raises(ValidationError, match="已建档"):
        twin.full_clean()
    twin.id_number = cadre.id_number[:-1] + ("0" if cadre.id_number[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位"):
        twin.full_clean()


def test_cadre_is_linked_to_the_member_with_the_same_id_number(tree):
    member = MemberFactory(organization=tree["B0101"], id_number=resident_id(5, birth="19880808", region="320500"))
    cadre = Cadre(
        name=member.name,
        id_number=member.id_number,
        unit="区委组织部",
        organization=tree["A"],
        line="party",
        cadre_type="management",
    )
    cadre.full_clean()
    assert cadre.member == member


def test_current_rank_is_the_latest_change(cadre):
    RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(2015, 7, 1))
    RankChange.objects.create(cadre=cadre, rank="deputy_section", changed_on=date(2024, 3, 1))
    ranked = Cadre.objects.with_rank(date(2025, 1, 1)).get(pk=cadre.pk)
    assert (ranked.current_rank, ranked.rank_since) == ("deputy_section", date(2024, 3, 1))
    assert Cadre.objects.with_rank(date(2020, 1, 1)).get(pk=cadre.pk).current_rank == "staff_member"


def test_rank_change_before_adulthood_is_refused(cadre):
    with pytest.raises(ValidationError, match="年满 18 周岁"):
        RankChange(cadre=cadre, rank="staff_member", changed_on=date(1995, 1, 1)).full_clean()


def test_one_open_reserve_entry_per_cadre(cadre):
    ReserveEntry.objects.create(cadre=cadre, category="deputy_section", entered_on=date(2025, 1, 1))
    second = ReserveEntry(cadre=cadre, category="section", entered_on=date(2025, 6, 1))
    with pytest.raises(ValidationError, match="不能重复入库"):
        second.full_clean()
    closed = ReserveEntry(
        cadre=cadre, category="section", entered_on=date(2023, 1, 1), status="promoted", status_on=date(2024, 1, 1)
    )
    closed.full_clean()


def test_reserve_status_needs_its_date(cadre):
    entry = ReserveEntry(cadre=cadre, category="section", entered_on=date(2025, 1, 1), status="promoted")
    with pytest.raises(ValidationError, match="须填写状态日期"):
        entry.full_clean()
