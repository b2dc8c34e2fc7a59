"""The "1333" plan targets: cohorts counted from dated rank changes, yearly posting quotas, pace."""

from datetime import date

import pytest

from cadres.models import PracticePosting, RankChange
from tests.factories import CadreFactory, resident_id
from xiangcheng.models import Target
from xiangcheng.targets import progress, rule_choices

START, END = date(2025, 1, 1), date(2027, 12, 31)


@pytest.fixture
def cohorts(db):
    return {
        year: Target.objects.create(
            name=f"{year}年后出生科级干部",
            rule="cadres_section_level_reached",
            parameter=str(year),
            start=START,
            end=END,
            value=value,
        )
        for year, value in ((1980, 150), (1985, 40), (1990, 18))
    }


def born(tree, birth: str, serial: int = 1):
    return CadreFactory(id_number=resident_id(serial, birth=birth, region="320500"), organization=tree["A0101"])


def promote(cadre, on: date, rank: str = "deputy_section"):
    RankChange.objects.create(cadre=cadre, rank=rank, changed_on=on)


def counted(cohorts, on: date = END) -> list[int]:
    return [progress(cohorts[year], on).actual for year in (1980, 1985, 1990)]


def test_rules_are_registered():
    keys = [key for key, _ in rule_choices()]
    assert "cadres_section_level_reached" in keys and "cadres_postings_started" in keys


def test_born_on_1_january_1985_counts_in_both_nested_cohorts(tree, cohorts):
    promote(born(tree, "19850101"), date(2025, 6, 1))
    assert counted(cohorts) == [1, 1, 0]


def test_born_on_31_december_1979_counts_in_none(tree, cohorts):
    promote(born(tree, "19791231", 1), date(2025, 6, 1))
    assert counted(cohorts) == [0, 0, 0]
    promote(born(tree, "19800101", 2), date(2025, 6, 1))
    assert counted(cohorts) == [1, 0, 0]


def test_born_1990_counts_in_all_three(tree, cohorts):
    promote(born(tree, "19900101"), date(2026, 2, 1))
    assert counted(cohorts) == [1, 1, 1]


def test_promotion_on_the_last_day_of_the_window_counts_the_day_after_does_not(tree, cohorts):
    promote(born(tree, "19880505", 1), date(2027, 12, 31))
    promote(born(tree, "19880505", 2), date(2028, 1, 1))
    promote(born(tree, "19880505", 3), date(2024, 12, 31))
    promote(born(tree, "19880505", 4), date(2025, 1, 1))
    assert counted(cohorts, on=date(2028, 6, 30)) == [2, 2, 0]


def test_a_cadre_promoted_twice_counts_once_on_the_first_day(tree, cohorts):
    cadre = born(tree, "19910303")
    promote(cadre, date(2025, 3, 1))
    promote(cadre, date(2026, 9, 1), rank="section")
    assert counted(cohorts, on=date(2025, 2, 28)) == [0, 0, 0]
    assert counted(cohorts, on=date(2025, 3, 1)) == [1, 1, 1]
    assert counted(cohorts) == [1, 1, 1]


def test_a_cadre_at_section_level_before_the_window_is_not_new(tree, cohorts):
    cadre = born(tree, "19860606")
    promote(cadre, date(2023, 3, 1))
    promote(cadre, date(2026, 3, 1), rank="section")
    assert counted(cohorts) == [0, 0, 0]


def test_clerk_ranks_are_not_section_level(tree, cohorts):
    promote(born(tree, "19950101"), date(2025, 7, 1), rank="staff_member")
    assert counted(cohorts) == [0, 0, 0]


def test_pace_of_a_cohort_target(tree, db):
    target = Target.objects.create(
        name="试点", rule="cadres_section_level_reached", parameter="1985", start=START, end=END, value=6
    )
    # 30 June 2026 is day 546 of 1,095: 6 × 546 / 1,095 = 2.99, so 3 are expected.
    on = date(2026, 6, 30)
    for serial in (1, 2):
        promote(born(tree, "19870101", serial), date(2025, 5, 1))
    behind = progress(target, on)
    assert (behind.actual, behind.expected, behind.status) == (2, 3, "far_behind")
    promote(born(tree, "19870101", 3), on)
    on_pace = progress(target, on)
    assert (on_pace.actual, on_pace.status, on_pace.projected) == (3, "on_pace", 6)


def test_yearly_posting_quota_counts_postings_starting_in_the_year_by_kind(tree):
    def quota(kind):
        return Target.objects.create(
            name=f"2026年{kind}",
            rule="cadres_postings_started",
            parameter=kind,
            start=date(2026, 1, 1),
            end=date(2026, 12, 31),
            value=10,
        )

    park, multi = quota("园区挂职"), quota("多岗位综合锻炼")
    cadres = [born(tree, "19900101", serial) for serial in range(5)]
    for cadre, kind, start, end in [
        (cadres[0], "park", date(2025, 12, 1), date(2026, 11, 30)),  # started the year before
        (cadres[1], "park", date(2026, 1, 1), date(2026, 12, 31)),
        (cadres[2], "park", date(2026, 12, 31), date(2027, 12, 30)),
        (cadres[3], "multi_post", date(2026, 5, 1), date(2026, 10, 31)),
        (cadres[4], "park", date(2027, 1, 1), date(2027, 12, 31)),
    ]:
        PracticePosting.objects.create(cadre=cadre, kind=kind, host_unit="苏州工业园区", start=start, end=end)
    on = date(2026, 12, 31)
    assert progress(park, on).actual == 2
    assert progress(multi, on).actual == 1


def test_the_reports_district_wide_target_links_its_rows_only_to_whom_sees_the_district(tree, cohorts, cast):
    """A scoped account's 1333 table counts the district but linked to a list of its own cadres."""
    from branches.models import AccountScope
    from tests.conftest import grant
    from tests.factories import UserFactory
    from xiangcheng.reports import compute_sections

    promote(born(tree, "19880101", 1), date(2026, 2, 1))
    promote(CadreFactory(id_number=resident_id(2, "19880101", "320500"), organization=tree["B0101"]), date(2026, 2, 1))
    officer = UserFactory(username="officer")
    AccountScope.objects.create(user=officer, organization=tree["A"])
    grant(officer, "cadres.view_cadre", "cadres.view_rankchange", "cadres.view_trainingparticipation")
    grant(officer, "cadres.view_practiceposting")

    def row_1980(user, organization):
        start, end = date(2026, 10, 1), date(2026, 12, 31)
        (section,) = [s for s in compute_sections(organization, user, start, end) if s.key == "cadres"]
        table = next(table for table in section.tables if table.title.startswith("“1333”"))
        return next(row for row in table.rows if row[0].value == cohorts[1980].name)

    staff_row, officer_row = row_1980(cast["staff"], None), row_1980(officer, tree["A"])
    assert staff_row[3].value == officer_row[3].value == 2
    assert staff_row[3].url and officer_row[3].url == ""
