"""To-dos (待办): what falls due in a user's scope, judged on the day given, soonest first, each
count opening exactly its rows; at the edges of quarters and years, and of each rule's days."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.models import CommitteeTerm, InstructorAssignment, Organization, ProjectMilestone
from cadres.models import AnnualEvaluation, PracticePosting, RankChange, ReserveEntry
from members.models import Household, Pairing, Pledge, Visit
from tests import clock
from tests.factories import CadreFactory, InstructorFactory, MemberFactory, OrganizationFactory, SecretaryProjectFactory
from xiangcheng.todos import Item, todo_list, todos


def due(user, day) -> dict:
    """{key: item} of the to-dos `user` sees on `day`."""
    return {item.key: item for item in todo_list(user, day)}


def household(organization, name="户主甲", *, paired_by=None, year=2026):
    found = Household.objects.create(
        head=name,
        address="一号",
        organization=organization,
        village="村",
        hardship="illness",
        registered_on=date(2025, 1, 1),
    )
    if paired_by is not None:
        Pairing.objects.create(member=paired_by, household=found, year=year)
    return found


def listed(client, item) -> set:
    """The primary keys of the rows the to-do's link lists."""
    response = client.get(item.url)
    assert response.status_code == 200, item.url
    return {row.pk for row in response.context["cl"].queryset}


# --- Quarter and year edges -------------------------------------------------------------------


def test_unvisited_pairings_at_the_quarter_edge(cast, tree):
    member = MemberFactory(organization=tree["A0101"])
    visited = household(tree["A0101"], "户主甲", paired_by=member)
    household(tree["A0101"], "户主乙", paired_by=member)
    Visit.objects.create(pairing=visited.pairings.get(), visited_on=date(2026, 3, 15), action="走访")

    last_day = due(cast["staff"], date(2026, 3, 31))["pairings_unvisited"]
    assert (last_day.count, last_day.deadline, last_day.days_left) == (1, date(2026, 3, 31), 0)
    assert last_day.label == "2026年第一季度尚未走访的结对"
    assert last_day.when == "2026-03-31（今天到期）"

    # A new quarter: a visit of the last one counts for nothing.
    first_day = due(cast["staff"], date(2026, 4, 1))["pairings_unvisited"]
    assert (first_day.count, first_day.deadline, first_day.days_left) == (2, date(2026, 6, 30), 90)
    assert first_day.when == "2026-06-30 前，剩 90 天"


def test_a_visit_owed_is_the_to_do_of_the_members_town_not_the_households(cast, tree, as_user):
    """A town's unvisited households were its secretary's to-do though paired with members of
    other towns, whom the secretary can neither list nor log a visit for."""
    member = MemberFactory(name="甲镇党员", organization=tree["A0101"])
    pairing = household(tree["B0101"], "乙镇户主", paired_by=member).pairings.get()
    mine, theirs = due(cast["secretary_a"], clock.TODAY), due(cast["secretary_b"], clock.TODAY)
    assert mine["pairings_unvisited"].count == 1 and "pairings_unvisited" not in theirs
    assert listed(as_user(cast["secretary_a"]), mine["pairings_unvisited"]) == {pairing.pk}


def test_pledges_at_the_year_edge(cast, tree):
    pledged = MemberFactory(organization=tree["A0101"])
    MemberFactory(organization=tree["A0101"])
    Pledge.objects.create(member=pledged, year=2026, pledged_on=date(2026, 5, 17), households=0)

    september = due(cast["staff"], date(2026, 9, 30))
    assert september["members_without_pledge"].count == 1
    # Unfulfilled pledges are a to-do as the year ends: from its last quarter, not before.
    assert "pledges_unfulfilled" not in september
    october = due(cast["staff"], date(2026, 10, 1))["pledges_unfulfilled"]
    assert (october.count, october.deadline, october.days_left) == (1, date(2026, 12, 31), 91)

    last_day = due(cast["staff"], date(2026, 12, 31))
    assert (last_day["members_without_pledge"].count, last_day["members_without_pledge"].days_left) == (1, 0)
    assert last_day["pledges_unfulfilled"].count == 1

    new_year = due(cast["staff"], date(2027, 1, 1))
    # Both members now lack the new year's pledge; last year's unfulfilled pledge is no to-do.
    assert new_year["members_without_pledge"].label == "未作2027年365承诺的党员"
    assert (new_year["members_without_pledge"].count, new_year["members_without_pledge"].deadline) == (
        2,
        date(2027, 12, 31),
    )
    assert "pledges_unfulfilled" not in new_year


# --- Each rule's days -----------------------------------------------------------------------------


def test_overdue_milestones_count_from_the_day_after_their_due_day(cast, tree):
    project = SecretaryProjectFactory(
        organization=tree["A0101"], started_on=date(2026, 1, 1), planned_end=date(2026, 12, 31)
    )
    ProjectMilestone.objects.create(project=project, title="调研", due_on=date(2026, 6, 1))
    ProjectMilestone.objects.create(project=project, title="启动", due_on=date(2026, 5, 1), done=True)
    completed = SecretaryProjectFactory(
        organization=tree["A0101"], started_on=date(2026, 1, 1), planned_end=date(2026, 12, 31), status="completed"
    )
    ProjectMilestone.objects.create(project=completed, title="收尾", due_on=date(2026, 5, 1))

    assert "projects_milestones_overdue" not in due(cast["staff"], date(2026, 6, 1))
    overdue = due(cast["staff"], date(2026, 6, 2))["projects_milestones_overdue"]
    assert (overdue.count, overdue.deadline, overdue.days_left) == (1, date(2026, 6, 1), -1)
    assert overdue.when == "2026-06-01（已逾期 1 天）"


def test_cadres_due_back_within_thirty_days(cast, tree):
    today = date(2026, 11, 18)
    back = CadreFactory(organization=tree["A0101"])
    later = CadreFactory(organization=tree["A0101"])
    PracticePosting.objects.create(
        cadre=back, kind="park", host_unit="园区", start=date(2026, 1, 1), end=today + timedelta(days=30)
    )
    PracticePosting.objects.create(
        cadre=later, kind="park", host_unit="园区", start=date(2026, 1, 1), end=today + timedelta(days=31)
    )

    item = due(cast["staff"], today)["cadres_due_back"]
    assert (item.count, item.deadline, item.days_left) == (1, today + timedelta(days=30), 30)


def test_missing_evaluations_are_last_years(cast, tree):
    evaluated, missing = CadreFactory(organization=tree["A0101"]), CadreFactory(organization=tree["A0101"])
    for cadre in (evaluated, missing):
        RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(2024, 7, 1))
    AnnualEvaluation.objects.create(cadre=evaluated, year=2025, grade="competent")

    item = due(cast["staff"], date(2026, 1, 2))["cadres_missing_evaluation"]
    assert (item.label, item.count, item.deadline) == ("缺少2025年度考核结果的干部", 1, None)
    assert item.when == "尽快处理"


def test_reserve_cadres_inspected_longer_than_ninety_days(cast, tree):
    today = date(2026, 11, 18)
    for days in (90, 91):
        ReserveEntry.objects.create(
            cadre=CadreFactory(organization=tree["A0101"]),
            category="deputy_section",
            entered_on=date(2025, 1, 1),
            status="under_review",
            status_on=today - timedelta(days=days),
        )
    item = due(cast["staff"], today)["reserve_review_overdue"]
    assert (item.count, item.deadline, item.days_left) == (1, today - timedelta(days=1), -1)


def test_committee_terms_ending_within_ninety_days(cast, tree):
    CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2023, 12, 1), term_years=3)
    # Re-elected: the older term is history.
    CommitteeTerm.objects.create(organization=tree["A0102"], elected_on=date(2020, 1, 1), term_years=3)
    CommitteeTerm.objects.create(organization=tree["A0102"], elected_on=date(2023, 1, 1), term_years=5)

    assert "committees_term_ending" not in due(cast["staff"], date(2026, 9, 1))
    item = due(cast["staff"], date(2026, 9, 2))["committees_term_ending"]
    assert (item.count, item.deadline, item.days_left) == (1, date(2026, 12, 1), 90)
    # Still a to-do once the term has ended without a new election.
    assert due(cast["staff"], date(2027, 1, 1))["committees_term_ending"].days_left == -31


def test_a_term_elected_on_29_february_ends_on_28_february(cast, tree):
    CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2024, 2, 29), term_years=3)
    assert due(cast["staff"], date(2027, 1, 1))["committees_term_ending"].deadline == date(2027, 2, 28)


def test_branch_size_and_instructors(cast, tree):
    today = date(2026, 11, 18)
    MemberFactory.create_batch(51, organization=tree["A0101"])
    MemberFactory.create_batch(2, organization=tree["A0102"])
    MemberFactory(organization=tree["A0102"], category="probationary")
    InstructorAssignment.objects.create(
        instructor=InstructorFactory(), organization=tree["A0101"], start=date(2026, 1, 1)
    )

    found = due(cast["secretary_a"], today)
    assert found["branches_above_member_limit"].count == 1
    # A0102 has three members, two of them full; the general branch and the town are no branches.
    assert found["branches_few_full_members"].count == 1
    # Town A, its general branch and A0102: A0101 has its instructor.
    assert found["organizations_without_instructor"].count == 3


def test_branch_size_counts_each_branchs_own_members_on_the_roll(cast, tree):
    """A branch with no member at all has too few full members; a closed branch is no to-do; a
    member who left before the day judged no longer counts."""
    today = date(2026, 11, 18)
    MemberFactory.create_batch(3, organization=tree["A0101"])
    MemberFactory.create_batch(50, organization=tree["A0102"])
    MemberFactory(organization=tree["A0102"], status="transferred_out", status_on=date(2026, 6, 1))
    OrganizationFactory(parent=tree["A01"], name="甲街道第3党支部", code="A0103")
    OrganizationFactory(parent=tree["A01"], name="甲街道第4党支部", code="A0104", is_active=False)

    found = due(cast["secretary_a"], today)
    # A0102 has 50 on the roll on the day (the 51st left in June): not above the limit of 50.
    assert "branches_above_member_limit" not in found
    # A0103 has no member; the closed A0104 is left out.
    assert found["branches_few_full_members"].count == 1

    MemberFactory(organization=tree["A0102"])
    assert due(cast["secretary_a"], today)["branches_above_member_limit"].count == 1


# --- Scope, order, links and cost ----------------------------------------------------------------


@pytest.fixture
def both_towns(cast, tree):
    """In towns A and B alike: an unvisited household, a member without a pledge, a project with
    an overdue milestone, a cadre due back, a term ending. Returns {town: {key: rows}}."""
    today = clock.TODAY
    rows = {}
    for town in ("A", "B"):
        branch = tree[f"{town}0101"]
        member = MemberFactory(organization=branch)
        home = household(branch, f"户主{town}", paired_by=member)
        project = SecretaryProjectFactory(
            organization=branch, started_on=date(2026, 1, 1), planned_end=date(2026, 12, 31)
        )
        ProjectMilestone.objects.create(project=project, title="调研", due_on=date(2026, 11, 1))
        cadre = CadreFactory(organization=branch)
        PracticePosting.objects.create(
            cadre=cadre, kind="park", host_unit="园区", start=date(2026, 1, 1), end=today + timedelta(days=10)
        )
        CommitteeTerm.objects.create(organization=branch, elected_on=date(2023, 12, 20), term_years=3)
        rows[town] = {
            "pairings_unvisited": {home.pairings.get().pk},
            "members_without_pledge": {member.pk},
            "projects_milestones_overdue": {project.pk},
            "cadres_due_back": {cadre.pk},
            "committees_term_ending": {branch.pk},
        }
    return rows


def test_secretary_sees_only_their_towns_to_dos_and_no_cadres(cast, both_towns):
    found = due(cast["secretary_a"], clock.TODAY)
    assert found["pairings_unvisited"].count == 1
    assert found["members_without_pledge"].count == 1
    assert found["projects_milestones_overdue"].count == 1
    assert found["committees_term_ending"].count == 1
    # Secretaries may not view cadres: no cadre to-do at all, not a zero.
    assert "cadres_due_back" not in found and "cadres_missing_evaluation" not in found
    staff = due(cast["staff"], clock.TODAY)
    assert staff["pairings_unvisited"].count == 2
    assert staff["cadres_due_back"].count == 2
    assert due(cast["outsider"], clock.TODAY) == {}


def test_to_dos_are_listed_soonest_first(cast, both_towns):
    items = todo_list(cast["staff"], clock.TODAY)
    dated = [item.deadline for item in items if item.deadline is not None]
    assert dated == sorted(dated)
    assert items[0].key == "projects_milestones_overdue"  # overdue since 2026-11-02
    assert all(item.deadline is None for item in items[len(dated) :])


@pytest.mark.parametrize("who", ["staff", "secretary_a"])
def test_each_link_opens_exactly_its_rows(client, cast, both_towns, who):
    client.force_login(cast[who])
    towns = ["A", "B"] if who == "staff" else ["A"]
    with clock.travel():
        items = todo_list(cast[who], clock.TODAY)
        assert len(items) >= 5
        for item in items:
            rows = listed(client, item)
            assert len(rows) == item.count, item.label
            if item.key in both_towns["A"]:
                assert rows == set().union(*(both_towns[town][item.key] for town in towns)), item.label
                if who == "secretary_a":
                    # The outsider's rows (town B) are not among them.
                    assert not rows & both_towns["B"][item.key]


def test_every_to_do_is_counted_in_one_query(cast, both_towns):
    todo_list(cast["staff"], clock.TODAY)
    shown = [todo for todo in todos if todo.due(clock.TODAY) is not None]
    assert len(shown) >= 10
    with CaptureQueriesContext(connection) as queries:
        todo_list(cast["staff"], clock.TODAY)
    assert len(queries) == 1


def test_dashboard_shows_the_to_dos_first_with_their_deadlines(client, cast, both_towns):
    client.force_login(cast["secretary_a"])
    with clock.travel():
        page = client.get("/admin/").content.decode()
    assert page.index('id="todos"') < page.index('id="shortfalls"')
    assert page.index("quick-actions") < page.index('id="todos"')
    assert "2026-11-01（已逾期 17 天）" in page
    assert "2026年第四季度尚未走访的结对" in page


def test_dashboard_says_when_nothing_is_due(client, cast, tree):
    Organization.objects.filter(type=Organization.Type.BRANCH).update(is_active=False)
    Organization.objects.exclude(type=Organization.Type.BRANCH).update(is_active=False)
    client.force_login(cast["secretary_a"])
    with clock.travel():
        page = client.get("/admin/").content.decode()
    assert "目前没有到期的待办事项。" in page


def test_a_to_do_stored_on_one_day_and_shown_on_a_later_one_counts_its_days_to_that_day():
    """The dashboard may show the to-dos as an earlier day stored them (xiangcheng/snapshots.py):
    their deadline is kept, their days left are counted when shown."""
    stored = Item(
        "pairings_unvisited", "第四季度尚未走访的结对", 3, date(2026, 12, 31), "/list/", date(2026, 12, 30)
    ).to_dict()
    shown = Item.from_dict(stored, date(2027, 1, 1))
    assert (shown.days_left, shown.when) == (-1, "2026-12-31（已逾期 1 天）")
