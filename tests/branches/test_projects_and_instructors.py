"""Secretary projects (pace against the planned end) and the instructor pool."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import InstructorAssignment, Organization, ProjectProgress
from branches.reports import action_branch_section
from tests import clock
from tests.conftest import opened
from tests.factories import InstructorFactory, MemberFactory, SecretaryProjectFactory, resident_id

PROJECTS = "/admin/branches/secretaryproject/"
ORGS = "/admin/branches/organization/"
INSTRUCTORS = "/admin/branches/instructor/"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def project_with(tree, *updates, started_on=date(2026, 1, 1), planned_end=date(2026, 12, 31), **kwargs):
    project = SecretaryProjectFactory(
        organization=kwargs.pop("organization", tree["A"]), started_on=started_on, planned_end=planned_end, **kwargs
    )
    for reported_on, percent in updates:
        ProjectProgress.objects.create(project=project, reported_on=reported_on, percent=percent)
    return project


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 12, 31), 0),  # not started
        (date(2026, 1, 1), 0),  # 1 of 365 days: 0.27% rounds to 0
        (date(2026, 7, 2), 50),  # day 183 of 365: 50.1%
        (date(2026, 12, 31), 100),
        (date(2027, 6, 1), 100),  # past the planned end
    ],
)
def test_expected_percent_is_the_elapsed_share_of_start_to_planned_end(tree, on, expected):
    assert project_with(tree).expected_percent(on) == expected


@pytest.mark.parametrize(
    ("percent", "status"),
    [(50, "on_pace"), (60, "on_pace"), (43, "behind"), (42, "far_behind"), (0, "far_behind")],
)
def test_pace_uses_the_plan_target_scale(tree, percent, status):
    # On 2026-07-02, 50% is expected; behind from 85% of that (42.5), far behind below.
    project = project_with(tree, (date(2026, 6, 30), percent))
    assert project.pace(date(2026, 7, 2)) == status


def test_pace_reads_the_latest_update_by_date_not_by_entry_order(tree):
    project = project_with(tree, (date(2026, 6, 30), 55), (date(2026, 3, 31), 90))
    assert project.percent_complete == 55


def test_project_with_no_update_is_at_zero_and_on_pace_before_it_starts(tree):
    project = project_with(tree, started_on=date(2026, 3, 1), planned_end=date(2026, 12, 31))
    assert project.percent_complete == 0
    assert project.pace(date(2026, 2, 1)) == "on_pace"
    assert project.pace(date(2026, 6, 1)) == "far_behind"


@clock.travel(date(2026, 12, 20))
def test_completed_project_is_on_pace_in_the_list_and_in_the_report(tree, cast, as_user):
    # On 20 December, 97% is expected: 90% is behind, unless the project is done.
    project_with(tree, (date(2026, 12, 1), 90), name="已完成项目", status="completed")
    project_with(tree, (date(2026, 12, 1), 90), name="推进中项目")
    response = as_user(cast["secretary_a"]).get(PROJECTS)
    changelist = response.context["cl"]
    pace = {row.name: changelist.model_admin.pace(row) for row in changelist.result_list}
    assert "按计划推进" in pace["已完成项目"] and "进度滞后" in pace["推进中项目"]

    section = action_branch_section(tree["A"], cast["secretary_a"], date(2026, 10, 1), date(2026, 12, 31))
    [table] = [table for table in section.tables if table.title == "书记项目进度"]
    rows = {row[0].value: [cell.value for cell in row[3:]] for row in table.rows}
    assert rows == {"已完成项目": ["90%", "按计划推进"], "推进中项目": ["90%", "进度滞后"]}
    [behind] = [figure for figure in section.figures if figure.label == "进度滞后的书记项目"]
    assert behind.value == 1


def test_percent_above_100_and_end_before_start_are_refused(tree):
    project = project_with(tree)
    with pytest.raises(ValidationError, match="0 到 100 之间"):
        ProjectProgress(project=project, reported_on=date(2026, 2, 1), percent=101).full_clean()
    project.planned_end = date(2025, 12, 1)
    with pytest.raises(ValidationError, match="计划完成日期不能早于启动日期"):
        project.full_clean()


def test_project_secretary_must_belong_to_its_organization(tree):
    project = project_with(tree, organization=tree["A01"])
    project.secretary = MemberFactory(organization=tree["B0101"])
    with pytest.raises(ValidationError, match="领办书记须是"):
        project.full_clean()


def test_project_list_shows_pace_like_targets_at_a_fixed_cost(tree, cast, as_user):
    today = timezone.localdate()
    start = today - timedelta(days=99)
    end = today + timedelta(days=100)  # day 100 of 200: 50% expected
    project_with(tree, (today, 50), started_on=start, planned_end=end, name="红色火车头")
    project_with(tree, (today, 40), started_on=start, planned_end=end, name="红色锋巢")
    client = as_user(cast["secretary_a"])
    counts = []
    for extra in (0, 15):
        for n in range(extra):
            project_with(tree, (today, n), started_on=start, planned_end=end, name=f"项目{n}")
        client.get(PROJECTS)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PROJECTS)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    body = response.content.decode()
    assert '<strong class="status-on_pace">按计划推进</strong>' in body
    assert '<strong class="status-far_behind">严重滞后</strong>' in body
    rows = {row.name: row for row in response.context["cl"].result_list}
    assert rows["红色锋巢"].latest_percent == 40


def test_secretary_sees_projects_of_their_town_only(tree, cast, as_user):
    project_with(tree, name="甲镇项目", organization=tree["A01"])
    project_with(tree, name="乙镇项目", organization=tree["B01"])
    body = as_user(cast["secretary_a"]).get(PROJECTS).content.decode()
    assert "甲镇项目" in body and "乙镇项目" not in body


# The instructor pool


def assign(instructor, organization, start, end=None):
    return InstructorAssignment.objects.create(instructor=instructor, organization=organization, start=start, end=end)


def test_organizations_without_an_instructor_now(tree, cast, as_user):
    today = timezone.localdate()
    instructor = InstructorFactory()
    assign(instructor, tree["A0101"], today - timedelta(days=30))  # running
    assign(instructor, tree["A0102"], today - timedelta(days=300), today - timedelta(days=1))  # ended yesterday
    assign(instructor, tree["A01"], today + timedelta(days=1))  # starts tomorrow
    assign(instructor, tree["A"], today - timedelta(days=10), today)  # ends today: still running
    staff = as_user(cast["staff"])
    without = {org.code for org in staff.get(ORGS, {"instructor": "none"}).context["cl"].result_list}
    assert without == {org.code for org in tree.values()} - {"A0101", "A"}
    covered = {org.code for org in staff.get(ORGS, {"instructor": "some"}).context["cl"].result_list}
    assert covered == {"A0101", "A"}
    secretary = as_user(cast["secretary_b"]).get(ORGS, {"instructor": "none"})
    assert {org.code for org in secretary.context["cl"].result_list} == {"B", "B01", "B0101", "B0102"}


def test_instructor_list_shows_current_assignments_within_scope_and_masks_mobiles(tree, cast, as_user):
    today = timezone.localdate()
    instructor = InstructorFactory(name="周指导", mobile="13712345678")
    assign(instructor, tree["A0101"], today - timedelta(days=5))
    assign(instructor, tree["B0101"], today - timedelta(days=5))
    response = as_user(cast["secretary_a"]).get(INSTRUCTORS)
    [row] = response.context["cl"].result_list
    assert row.current_names == "甲街道党工委第1党支部"
    body = response.content.decode()
    assert "137****5678" in body and "13712345678" not in body


def test_instructor_is_linked_to_a_member_by_id_number(tree, cast, as_user):
    member = MemberFactory(name="周指导", organization=tree["A0101"], id_number=resident_id(42, region="320500"))
    instructor = InstructorFactory(name="周指导", role="worker")
    data = {"name": "周指导", "role": "worker", "member": "", "mobile": "", "employer": "", "qualifications": ""}
    data.update({"assignments-TOTAL_FORMS": "0", "assignments-INITIAL_FORMS": "0", "is_active": "on"})
    data.update(opened(instructor))
    client = as_user(cast["staff"])
    response = client.post(f"{INSTRUCTORS}{instructor.pk}/change/", {**data, "member": "110105198501010000"})
    assert "找不到该身份证号的在册党员" in response.content.decode()
    assert (
        client.post(f"{INSTRUCTORS}{instructor.pk}/change/", {**data, "member": member.id_number.lower()}).status_code
        == 302
    )
    instructor.refresh_from_db()
    assert instructor.member == member
    # A secretary reads the name, never the number.
    body = as_user(cast["secretary_a"]).get(f"{INSTRUCTORS}{instructor.pk}/change/").content.decode()
    assert "周指导" in body and member.id_number not in body


def test_assignment_cannot_end_before_it_starts(tree):
    assignment = InstructorAssignment(
        instructor=InstructorFactory(), organization=tree["A"], start=date(2026, 5, 1), end=date(2026, 4, 30)
    )
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        assignment.full_clean()


def test_secretary_role_can_log_actions_and_read_the_rest(cast):
    secretary = cast["secretary_a"]
    for permission in [
        "branches.add_serviceaction",
        "branches.change_serviceaction",
        "branches.add_serviceattachment",
        "branches.view_actionbranch",
        "branches.view_secretaryproject",
        "branches.view_instructor",
        "branches.view_instructorassignment",
        "branches.view_brand",
    ]:
        assert secretary.has_perm(permission), permission
    for permission in ["branches.delete_serviceaction", "branches.change_actionbranch", "branches.add_instructor"]:
        assert not secretary.has_perm(permission), permission
    assert Organization.objects.visible_to(secretary).count() == 4
