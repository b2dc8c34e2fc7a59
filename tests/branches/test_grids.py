"""Grid governance: grids of communities and villages, the dated roles in them, the grid log
(民情日志), the general social workers, and the 网格化治理 section whose numbers open their lists."""

import io
import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from branches.models import Grid, GridLogEntry, GridRole, Organization, SocialWorker, SocialWorkerAssignment
from branches.reports import grid_section
from branches.seed import seed, seed_late
from tests import clock
from tests.factories import MemberFactory, OrganizationFactory, SocialWorkerFactory, resident_id
from xiangcheng.periods import quarter_period
from xiangcheng.reports import registered_sections
from xiangcheng.validators import id_sex, mask_id_number

TODAY = clock.TODAY
YESTERDAY = TODAY - timedelta(days=1)
GRIDS = "/admin/branches/grid/"
ROLES = "/admin/branches/gridrole/"
LOG = "/admin/branches/gridlogentry/"
WORKERS = "/admin/branches/socialworker/"
Q4 = quarter_period(2026, 4)
Q3 = quarter_period(2026, 3)


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def make_grid(community, code, **kwargs) -> Grid:
    return Grid.objects.create(organization=community, name=kwargs.pop("name", f"{code}网格"), code=code, **kwargs)


def role(grid, kind, person, started_on=date(2026, 1, 1), ended_on=None) -> GridRole:
    person_field = "social_worker" if isinstance(person, SocialWorker) else "member"
    return GridRole.objects.create(
        grid=grid, role=kind, started_on=started_on, ended_on=ended_on, **{person_field: person}
    )


def problem(grid, raised_on, solved_on=None, **kwargs) -> GridLogEntry:
    return GridLogEntry.objects.create(
        grid=grid, raised_on=raised_on, solved_on=solved_on, category="safety", problem="楼道堆物", **kwargs
    )


def errors_of(obj) -> dict:
    with pytest.raises(ValidationError) as raised:
        obj.full_clean()
    return raised.value.message_dict


# --- Where grids and roles may be -----------------------------------------------------------


def test_a_grid_lies_in_a_community_or_village_not_in_a_branch_or_a_town(tree):
    assert "organization" in errors_of(Grid(organization=tree["A0101"], name="网格", code="G1"))
    assert "organization" in errors_of(Grid(organization=tree["A"], name="网格", code="G1"))
    Grid(organization=tree["A01"], name="网格", code="G1").full_clean()


def test_a_party_member_of_another_town_cannot_hold_a_role_in_the_grid(tree):
    grid = make_grid(tree["A01"], "A01-01")
    stranger = MemberFactory(organization=tree["B0101"], name="乙镇党员")
    errors = errors_of(GridRole(grid=grid, role="party_member", member=stranger, started_on=date(2026, 1, 1)))
    assert errors["member"] == ["乙镇党员不是甲街道党工委第一党总支（含下级组织）的党员，不能在该网格任职或承办。"]
    resident = MemberFactory(organization=tree["A0102"])
    GridRole(grid=grid, role="party_member", member=resident, started_on=date(2026, 1, 1)).full_clean()


def test_a_social_worker_serves_only_grids_within_their_organization(tree):
    grid = make_grid(tree["A01"], "A01-01")
    other_community = OrganizationFactory(parent=tree["A"], type=Organization.Type.GENERAL_BRANCH, code="A02")
    for organization in (tree["B"], tree["B01"], other_community):
        worker = SocialWorkerFactory(organization=organization)
        errors = errors_of(GridRole(grid=grid, role="social_worker", social_worker=worker, started_on=TODAY))
        assert list(errors) == ["social_worker"]
    for organization in (tree["A"], tree["A01"]):
        worker = SocialWorkerFactory(organization=organization)
        GridRole(grid=grid, role="social_worker", social_worker=worker, started_on=TODAY).full_clean()


def test_a_grid_log_problem_is_taken_by_someone_of_the_grid(tree):
    grid = make_grid(tree["A01"], "A01-01")
    stranger = MemberFactory(organization=tree["B0101"])
    outside_worker = SocialWorkerFactory(organization=tree["B"])
    entry = GridLogEntry(grid=grid, raised_on=TODAY, category="safety", problem="隐患", taken_by_member=stranger)
    assert list(errors_of(entry)) == ["taken_by_member"]
    entry.taken_by_member, entry.taken_by_worker = None, outside_worker
    assert list(errors_of(entry)) == ["taken_by_worker"]
    entry.taken_by_worker = SocialWorkerFactory(organization=tree["A"])
    entry.full_clean()


def test_a_role_or_a_problem_of_someone_who_has_since_moved_away_is_still_ended_or_solved(tree, cast, as_user):
    # A grid head who moved to another town made their role unsavable, for staff too: it could
    # not be ended, nor the problem they had taken be marked solved ("…不是…的党员").
    from members.models import Member

    grid = make_grid(tree["A01"], "A01-01")
    head = MemberFactory(organization=tree["A0101"], name="已调出党员")
    worker = SocialWorkerFactory(organization=tree["A01"])
    held = role(grid, "head", head)
    taken = problem(grid, YESTERDAY, taken_by_member=head)
    posted = SocialWorkerAssignment.objects.create(
        social_worker=worker, organization=tree["A01"], started_on=date(2026, 1, 1)
    )
    Member.objects.filter(pk=head.pk).update(organization=tree["B0101"])
    SocialWorker.objects.filter(pk=worker.pk).update(organization=tree["B"])
    held.refresh_from_db(), taken.refresh_from_db(), posted.refresh_from_db()
    held.ended_on, taken.solved_on, posted.ended_on = TODAY, TODAY, TODAY
    for record in (held, taken, posted):
        record.full_clean()
    client = as_user(cast["staff"])
    page = client.get(f"{ROLES}{held.pk}/change/")
    from tests.conftest import change_form_data

    saved = client.post(f"{ROLES}{held.pk}/change/", {**change_form_data(page), "ended_on": TODAY})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert GridRole.objects.get(pk=held.pk).ended_on == TODAY
    # Naming them anew is refused as before.
    newcomer = GridRole(grid=grid, role="party_member", member=Member.objects.get(pk=head.pk), started_on=TODAY)
    assert list(errors_of(newcomer)) == ["member"]
    held.member = MemberFactory(organization=tree["B0101"])
    assert list(errors_of(held)) == ["member"]


def test_a_rule_over_two_fields_is_shown_beside_its_field(tree, cast, as_user):
    # "解决日期不能早于反映日期。" stood at the top of the form, a thousand pixels above 解决日期 on a
    # phone, and the field itself was not marked.
    grid = make_grid(tree["A01"], "A01-01")
    member, worker = MemberFactory(organization=tree["A0101"]), SocialWorkerFactory(organization=tree["A01"])
    client = as_user(cast["staff"])
    data = {"grid": grid.pk, "raised_on": TODAY, "category": "safety", "problem": "楼道堆物"}
    early = client.post(f"{LOG}add/", {**data, "solved_on": YESTERDAY})
    form = early.context["adminform"].form
    assert form.errors["solved_on"] == ["解决日期不能早于反映日期。"]
    assert not form.non_field_errors()
    both = client.post(f"{LOG}add/", {**data, "taken_by_member": member.pk, "taken_by_worker": worker.pk})
    assert both.context["adminform"].form.errors["taken_by_member"] == ["承办党员和承办社工最多填一个。"]
    assert not GridLogEntry.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_past_any_record_is_refused_on_every_date_field(tree, cast, as_user, day):
    # Such dates were saved on a dozen forms, and a committee term elected 9999-12-31 made its
    # list and its organization's page answer 500.
    grid = make_grid(tree["A01"], "A01-01")
    client = as_user(cast["staff"])
    logged = client.post(f"{LOG}add/", {"grid": grid.pk, "raised_on": day, "category": "safety", "problem": "堆物"})
    assert logged.context["adminform"].form.errors["raised_on"] == ["日期须在 1900-01-01 至 2100-12-31 之间。"]
    elected = client.post(
        "/admin/branches/committeeterm/add/", {"organization": tree["A01"].pk, "elected_on": day, "term_years": 5}
    )
    assert "elected_on" in elected.context["adminform"].form.errors
    assert not GridLogEntry.objects.exists()


def test_staff_cannot_save_a_grid_role_for_a_member_of_another_town(tree, cast, as_user):
    grid = make_grid(tree["A01"], "A01-01")
    stranger = MemberFactory(organization=tree["B0101"])
    response = as_user(cast["staff"]).post(
        f"{ROLES}add/", {"grid": grid.pk, "role": "party_member", "member": stranger.pk, "started_on": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "不能在该网格任职或承办" in response.content.decode()
    assert not GridRole.objects.exists()


def test_a_secretary_cannot_pick_a_member_or_grid_outside_their_town(tree, cast, as_user):
    ours, theirs = make_grid(tree["A01"], "A01-01"), make_grid(tree["B01"], "B01-01")
    stranger = MemberFactory(organization=tree["B0101"])
    client = as_user(cast["secretary_a"])
    response = client.post(
        f"{ROLES}add/", {"grid": theirs.pk, "role": "party_member", "member": stranger.pk, "started_on": "2026-01-01"}
    )
    form = response.context["adminform"].form
    assert set(form.errors) == {"grid", "member"}
    member = MemberFactory(organization=tree["A0101"])
    client.post(
        f"{ROLES}add/", {"grid": ours.pk, "role": "party_member", "member": member.pk, "started_on": "2026-01-01"}
    )
    assert list(GridRole.objects.values_list("grid__code", "member__name")) == [("A01-01", member.name)]


def test_a_grid_roles_pickers_offer_only_who_may_hold_a_role_in_the_grid_chosen(tree, cast, as_user):
    # They offered every member and social worker in scope (the whole district for staff), and
    # saving refused those outside the grid's community.
    grid = make_grid(tree["A01"], "A01-01")
    MemberFactory(name="王在社区", organization=tree["A0101"])
    MemberFactory(name="王在街道", organization=tree["A"])
    SocialWorkerFactory(name="街道社工", organization=tree["A"])
    SocialWorkerFactory(name="乙镇社工", organization=tree["B"])
    client = as_user(cast["staff"])

    def offered(field, term, **forwarded):
        query = {"app_label": "branches", "model_name": "gridrole", "field_name": field, "term": term}
        response = client.get("/admin/autocomplete/", {**query, **forwarded})
        assert response.status_code == 200
        return sorted(result["text"].partition("（")[0] for result in response.json()["results"])

    assert offered("member", "王", grid=grid.pk) == ["王在社区"]
    assert offered("member", "王") == ["王在社区", "王在街道"]
    assert offered("member", "王", grid="x\x00") == ["王在社区", "王在街道"]
    assert offered("social_worker", "社工", grid=grid.pk) == ["街道社工"]
    assert offered("social_worker", "社工") == ["乙镇社工", "街道社工"]
    # The pickers say what they follow: the grid chosen above, on the grid's page that grid.
    assert 'data-forward="grid"' in client.get(f"{ROLES}add/").content.decode()
    page = client.get(f"{GRIDS}{grid.pk}/change/").content.decode()
    assert f'data-forward="grid" data-forward-value="{grid.pk}"' in page
    assert "xiangcheng/forward.js" in page


def test_a_secretary_keeps_roles_on_the_roles_list_the_grid_page_shows_them_read_only(tree, cast, as_user):
    grid = make_grid(tree["A01"], "A01-01")
    role(grid, "head", MemberFactory(organization=tree["A0101"]))
    secretary_page = as_user(cast["secretary_a"]).get(f"{GRIDS}{grid.pk}/change/")
    (inline,) = secretary_page.context["inline_admin_formsets"]
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (False,) * 3
    (inline,) = as_user(cast["staff"]).get(f"{GRIDS}{grid.pk}/change/").context["inline_admin_formsets"]
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (True,) * 3


# --- One person in a role -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "with_member", "with_worker", "constraint"),
    [
        ("head", True, True, "branches_gridrole_one_person"),
        ("head", False, False, "branches_gridrole_one_person"),
        ("party_member", False, True, "branches_gridrole_party_member_is_member"),
        ("social_worker", True, False, "branches_gridrole_social_worker_is_worker"),
    ],
)
def test_the_database_refuses_a_role_without_exactly_one_person_of_the_right_kind(
    tree, kind, with_member, with_worker, constraint
):
    grid = make_grid(tree["A01"], "A01-01")
    member = MemberFactory(organization=tree["A0101"]) if with_member else None
    worker = SocialWorkerFactory(organization=tree["A"]) if with_worker else None
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        GridRole.objects.create(grid=grid, role=kind, member=member, social_worker=worker, started_on=TODAY)


def test_a_grid_head_or_grid_worker_may_be_a_member_or_a_social_worker(tree):
    grid = make_grid(tree["A01"], "A01-01")
    role(grid, "head", MemberFactory(organization=tree["A0101"]))
    role(grid, "full_time", SocialWorkerFactory(organization=tree["A"]))
    assert GridRole.objects.count() == 2


# --- Overlapping dated roles ----------------------------------------------------------------


def test_the_same_member_cannot_hold_the_same_role_in_the_same_grid_over_overlapping_days(tree):
    grid = make_grid(tree["A01"], "A01-01")
    member = MemberFactory(organization=tree["A0101"], name="王网格")
    role(grid, "head", member, date(2026, 1, 1), date(2026, 6, 30))
    overlapping = GridRole(grid=grid, role="head", member=member, started_on=date(2026, 6, 30))
    assert errors_of(overlapping)["started_on"] == [
        "王网格在本网格已有时间重叠的“网格长”：2026-01-01 至 2026-06-30。"
        "同一人同一角色的任期不能重叠，新的任期最早从前一段结束的次日开始。"
    ]
    with pytest.raises(IntegrityError, match="branches_gridrole_no_overlap_member"), transaction.atomic():
        overlapping.save()
    # The day after the term ends, another role, another grid: all allowed.
    role(grid, "head", member, date(2026, 7, 1))
    role(grid, "party_member", member, date(2026, 3, 1))
    role(make_grid(tree["A01"], "A01-02"), "head", member, date(2026, 3, 1))
    assert GridRole.objects.count() == 4


def test_an_open_role_overlaps_every_later_one_of_the_same_person(tree):
    grid = make_grid(tree["A01"], "A01-01")
    worker = SocialWorkerFactory(organization=tree["A"], name="李社工")
    role(grid, "social_worker", worker, date(2025, 3, 1))
    later = GridRole(grid=grid, role="social_worker", social_worker=worker, started_on=date(2030, 1, 1))
    assert "2025-03-01 起至今" in errors_of(later)["started_on"][0]
    with pytest.raises(IntegrityError, match="branches_gridrole_no_overlap_social_worker"), transaction.atomic():
        later.save()
    # Another social worker in the same role is no overlap.
    role(grid, "social_worker", SocialWorkerFactory(organization=tree["A"]), date(2025, 3, 1))


def test_a_social_worker_is_not_assigned_to_the_same_community_twice_at_once(tree):
    worker = SocialWorkerFactory(organization=tree["A"])
    SocialWorkerAssignment.objects.create(social_worker=worker, organization=tree["A01"], started_on=date(2026, 1, 1))
    again = SocialWorkerAssignment(social_worker=worker, organization=tree["A01"], started_on=date(2026, 5, 1))
    assert "started_on" in errors_of(again)
    with pytest.raises(IntegrityError, match="branches_socialworkerassignment_no_overlap"), transaction.atomic():
        again.save()
    outside = SocialWorkerAssignment(social_worker=worker, organization=tree["B01"], started_on=date(2026, 5, 1))
    assert list(errors_of(outside)) == ["organization"]


# --- Coverage at the edges ------------------------------------------------------------------


def test_a_role_ending_yesterday_does_not_cover_today_one_ending_today_does(tree):
    yesterday, today, tomorrow = (make_grid(tree["A01"], f"A01-0{n}") for n in (1, 2, 3))
    role(yesterday, "party_member", MemberFactory(organization=tree["A0101"]), ended_on=YESTERDAY)
    role(yesterday, "social_worker", SocialWorkerFactory(organization=tree["A"]), ended_on=YESTERDAY)
    role(today, "party_member", MemberFactory(organization=tree["A0101"]), ended_on=TODAY)
    role(today, "social_worker", SocialWorkerFactory(organization=tree["A"]), ended_on=TODAY)
    # Starting tomorrow covers nothing today either.
    role(tomorrow, "head", MemberFactory(organization=tree["A0101"]), started_on=TODAY + timedelta(days=1))
    assert set(Grid.objects.without_member(TODAY).values_list("code", flat=True)) == {"A01-01", "A01-03"}
    assert set(Grid.objects.without_social_worker(TODAY).values_list("code", flat=True)) == {"A01-01", "A01-03"}
    # Yesterday the first grid was covered.
    assert set(Grid.objects.without_member(YESTERDAY).values_list("code", flat=True)) == {"A01-03"}


def test_a_problem_open_exactly_30_days_is_not_overdue_one_open_31_days_is(tree):
    grid = make_grid(tree["A01"], "A01-01")
    thirty = problem(grid, TODAY - timedelta(days=30))
    thirty_one = problem(grid, TODAY - timedelta(days=31))
    problem(grid, TODAY - timedelta(days=60), solved_on=TODAY)  # solved today: not open today
    solved_later = problem(grid, date(2026, 8, 1), solved_on=date(2026, 10, 15))
    assert list(GridLogEntry.objects.overdue(TODAY)) == [thirty_one]
    assert list(GridLogEntry.objects.open_on(TODAY)) == [thirty, thirty_one]
    # Judged on the last day of the third quarter, the problem solved in October was overdue.
    assert list(GridLogEntry.objects.overdue(Q3.end)) == [solved_later]
    assert list(Grid.objects.with_overdue_problems(TODAY)) == [grid]
    thirty_one.solved_on = TODAY
    thirty_one.save()
    assert not Grid.objects.with_overdue_problems(TODAY).exists()


def test_a_grid_counts_from_its_division_to_its_last_day(tree):
    make_grid(tree["A01"], "A01-01")
    make_grid(tree["A01"], "A01-02", started_on=TODAY + timedelta(days=1))
    make_grid(tree["A01"], "A01-03", started_on=date(2020, 1, 1), ended_on=YESTERDAY)
    make_grid(tree["A01"], "A01-04", started_on=date(2020, 1, 1), ended_on=TODAY)
    assert set(Grid.objects.existing_on(TODAY).values_list("code", flat=True)) == {"A01-01", "A01-04"}


def test_the_log_shows_the_days_a_problem_took_computed_from_its_dates(tree, cast, as_user):
    grid = make_grid(tree["A01"], "A01-01")
    problem(grid, date(2026, 11, 2), solved_on=date(2026, 11, 9))
    problem(grid, date(2026, 11, 3))
    changelist = as_user(cast["secretary_a"]).get(LOG).context["cl"]
    shown = {entry.raised_on: changelist.model_admin.days(entry) for entry in changelist.result_list}
    assert shown == {date(2026, 11, 2): 7, date(2026, 11, 3): "—"}
    assert [entry.days_taken for entry in GridLogEntry.objects.with_days_taken().order_by("raised_on")] == [7, None]


# --- The section and the lists its numbers open ---------------------------------------------


@pytest.fixture
def grids(tree):
    """Town A: a covered grid with an overdue problem, a grid whose member left yesterday with a
    problem open exactly 30 days, a grid divided next month. Town B: a bare grid and its worker."""
    covered, uncovered = make_grid(tree["A01"], "A01-01"), make_grid(tree["A01"], "A01-02")
    make_grid(tree["A01"], "A01-03", started_on=date(2026, 12, 1))
    bare = make_grid(tree["B01"], "B01-01")
    worker_a = SocialWorkerFactory(organization=tree["A"], name="甲社工")
    worker_b = SocialWorkerFactory(organization=tree["B"], name="乙社工")
    SocialWorkerFactory(organization=tree["A"], name="离职社工", ended_on=date(2026, 9, 30))
    role(covered, "head", MemberFactory(organization=tree["A0101"]))
    role(covered, "social_worker", worker_a)
    role(uncovered, "party_member", MemberFactory(organization=tree["A0102"]), ended_on=YESTERDAY)
    problem(covered, date(2026, 10, 1), taken_by_worker=worker_a)  # open 48 days
    problem(covered, date(2026, 10, 5), solved_on=date(2026, 10, 9), taken_by_worker=worker_a)
    problem(uncovered, TODAY - timedelta(days=30))
    problem(uncovered, date(2026, 9, 20), solved_on=date(2026, 10, 2))  # raised in Q3, solved in Q4
    problem(bare, date(2026, 11, 1), taken_by_worker=None)
    return {"covered": covered, "uncovered": uncovered, "bare": bare, "worker_a": worker_a, "worker_b": worker_b}


def linked(section) -> list[tuple[str, int, str]]:
    found = [(figure.label, figure.value, figure.url) for figure in section.figures if figure.url]
    for table in section.tables:
        for row in [*table.rows, *([table.total] if table.total else [])]:
            for header, cell in zip(table.headers, row, strict=False):
                if cell.url and not isinstance(cell.value, str):
                    found.append((f"{table.title}·{row[0].value}·{header}", cell.value, cell.url))
    return found


def assert_each_number_opens_its_rows(client, section):
    wrong = []
    for label, value, url in linked(section):
        response = client.get(url)
        assert response.status_code == 200, (label, url)
        if response.context["cl"].result_count != value:
            wrong.append((label, value, response.context["cl"].result_count, url))
    assert wrong == []


def figures(section) -> dict:
    return {figure.label: figure.value for figure in section.figures}


def test_the_section_counts_coverage_on_today_for_the_running_quarter(grids, cast, as_user):
    section = grid_section(None, cast["staff"], Q4.start, Q4.end)
    assert figures(section) == {
        "网格": 3,
        "无党员参与的网格": 2,
        "无全科社工的网格": 2,
        "有超过30天未解决问题的网格": 1,
        "在岗全科社工": 2,
        "本期民情日志反映问题": 4,
        "本期解决问题": 2,
        # (4 + 12) / 2 days
        "本期解决平均用时（天）": "8.0",
        "超过30天未解决的问题": 1,
    }
    shortfalls = [figure.label for figure in section.figures if figure.shortfall]
    assert shortfalls == ["无党员参与的网格", "无全科社工的网格", "有超过30天未解决问题的网格"]
    towns = {row[0].value: [cell.value for cell in row[1:]] for row in section.tables[0].rows}
    assert towns == {"甲街道党工委": [2, 1, 1, 1, 1, 3, 2, "8.0", 1], "乙镇党委": [1, 1, 1, 0, 1, 1, 0, "—", 0]}
    workers = {row[0].value: [cell.value for cell in row[2:]] for row in section.tables[1].rows}
    assert workers == {"甲社工": [1, 2, 1, 1], "乙社工": [0, 0, 0, 0]}
    # A worker and their organization name the row; the roles they hold are counted, as a number.
    shown = render_to_string("admin/reports/table.html", {"table": section.tables[1]})
    assert '<th scope="col">所属组织</th><th scope="col" class="number">在任网格角色</th>' in shown
    assert_each_number_opens_its_rows(as_user(cast["staff"]), section)


def test_a_past_quarter_is_recounted_on_its_last_day(grids, cast):
    section = grid_section(None, cast["staff"], Q3.start, Q3.end)
    found = figures(section)
    # On 30 September the member who left yesterday still took part, and the worker who left that
    # day was on duty; the problem raised on 20 September was open 10 days.
    assert found["无党员参与的网格"] == 1
    assert found["在岗全科社工"] == 3
    assert found["有超过30天未解决问题的网格"] == 0
    assert found["本期民情日志反映问题"] == 1


def test_a_secretary_sees_and_opens_only_their_towns_grids(grids, tree, cast, as_user):
    client = as_user(cast["secretary_a"])
    section = grid_section(tree["A"], cast["secretary_a"], Q4.start, Q4.end)
    assert figures(section)["网格"] == 2
    assert [row[0].value for row in section.tables[0].rows] == ["甲街道党工委"]
    assert [row[0].value for row in section.tables[1].rows] == ["甲社工"]
    assert_each_number_opens_its_rows(client, section)
    listed = {grid.code for grid in client.get(GRIDS).context["cl"].result_list}
    assert listed == {"A01-01", "A01-02", "A01-03"}
    assert client.get(f"{GRIDS}{grids['bare'].pk}/change/").status_code == 404
    assert client.get(f"{WORKERS}{grids['worker_b'].pk}/change/").status_code == 404
    assert "乙社工" not in {worker.name for worker in client.get(WORKERS).context["cl"].result_list}


def test_below_town_level_the_towns_row_opens_the_chosen_communitys_rows(grids, tree, cast, as_user):
    section = grid_section(tree["A01"], cast["staff"], Q4.start, Q4.end)
    assert figures(section)["网格"] == 2
    # The town-level social worker belongs to town A, above the community chosen.
    assert figures(section)["在岗全科社工"] == 0
    assert_each_number_opens_its_rows(as_user(cast["staff"]), section)


def test_the_section_is_shown_on_the_dashboard_with_its_shortfalls(grids, cast, as_user):
    response = as_user(cast["secretary_a"]).get("/admin/")
    shortfalls = [figure.label for figure in response.context["shortfalls"]]
    assert "无党员参与的网格" in shortfalls
    assert "网格化治理" in [section.title for section in response.context["report"].sections]


def test_an_outsider_sees_no_grid_no_worker_and_no_section(grids, cast, as_user):
    client = as_user(cast["outsider"])
    for url in (GRIDS, ROLES, LOG, WORKERS):
        assert client.get(url).status_code == 403
    assert "grids" not in [entry.key for entry in registered_sections(cast["outsider"])]


# --- Personal numbers, import and export ----------------------------------------------------


def test_a_social_workers_numbers_are_masked_unless_the_user_may_see_them(tree, cast, as_user):
    worker = SocialWorkerFactory(organization=tree["A"], id_number=resident_id(11, region="320507"))
    page = as_user(cast["secretary_a"]).get(f"{WORKERS}{worker.pk}/change/").content.decode()
    assert worker.id_number not in page and mask_id_number(worker.id_number) in page
    assert worker.mobile not in page
    listing = as_user(cast["secretary_a"]).get(WORKERS).content.decode()
    assert worker.id_number not in listing and mask_id_number(worker.id_number) in listing
    exported = as_user(cast["secretary_a"]).post(f"{WORKERS}export/", {"format": "0", "resource": "0"})
    text = exported.content.decode("utf-8-sig")
    assert worker.id_number not in text and mask_id_number(worker.id_number) in text
    assert worker.id_number in as_user(cast["staff"]).get(f"{WORKERS}{worker.pk}/change/").content.decode()


def upload(client, url, text):
    file = io.BytesIO(text.encode("utf-8"))
    file.name = "data.csv"
    return client.post(f"{url}import/", {"import_file": file, "format": "0", "resource": "0"})


def confirm(client, url, preview):
    form = preview.context["confirm_form"]
    return client.post(
        f"{url}process_import/", {name: form.initial[name] for name in form.fields if name in form.initial}
    )


def test_grids_import_with_their_community_by_code_or_by_name(tree, cast, as_user):
    client = as_user(cast["staff"])
    text = "网格编号,网格名称,所属社区（村）,覆盖范围,户数,常住人口\n"
    text += "A01-01,第一网格,A01,1–12 幢,320,860\n"
    text += "B01-01,第一网格,乙镇党委第一党总支,第 1–4 村民小组,410,1100\n"
    confirm(client, GRIDS, upload(client, GRIDS, text))
    assert sorted(Grid.objects.values_list("code", "organization__code", "households")) == [
        ("A01-01", "A01", 320),
        ("B01-01", "B01", 410),
    ]
    refused = upload(client, GRIDS, text.replace("A01-01,第一网格,A01", "A01-09,第九网格,A0101"))
    assert "网格须设在社区（村）党总支之下" in refused.content.decode()
    assert Grid.objects.count() == 2


def test_social_workers_import_with_validated_numbers(tree, cast, as_user):
    client = as_user(cast["staff"])
    number = resident_id(21, birth="19900315", region="320507")
    header = "姓名,身份证号,手机号,职业资格等级,用人单位,所属组织,入职日期\n"
    good = f"张社工,{number},13912345678,助理社会工作师,甲街道社工站,甲街道党工委,2024-03-01\n"
    bad = "李社工,320507199003150000,1391234,社会工作师,甲街道社工站,A,2024-03-01\n"
    refused = upload(client, WORKERS, header + good + bad).content.decode()
    assert "身份证号校验位不正确" in refused and "手机号应为 11 位" in refused
    confirm(client, WORKERS, upload(client, WORKERS, header + good))
    worker = SocialWorker.objects.get()
    assert (worker.id_number, worker.birth_date, worker.sex) == (number, date(1990, 3, 15), id_sex(number))
    assert (worker.organization, worker.qualification) == (tree["A"], "assistant")


# --- Demo data ------------------------------------------------------------------------------


def test_demo_grids_cover_every_community_and_keep_the_rules(db):
    log = []
    seed(scale=0.02, rng=random.Random(1), log=log.append)
    for organization in Organization.objects.filter(type=Organization.Type.BRANCH):
        MemberFactory.create_batch(3, organization=organization)
    seed_late(scale=0.1, rng=random.Random(1), log=log.append)

    communities = Organization.objects.filter(type=Organization.Type.GENERAL_BRANCH)
    assert set(Grid.objects.values_list("organization", flat=True)) == set(communities.values_list("pk", flat=True))
    assert SocialWorker.objects.count() == 11  # one per town at least
    for row in [*GridRole.objects.all(), *GridLogEntry.objects.all(), *SocialWorkerAssignment.objects.all()]:
        row.full_clean()
    assert not GridLogEntry.objects.filter(raised_on__gt=TODAY).exists()
    assert GridLogEntry.objects.filter(raised_on__lt=TODAY - timedelta(days=330)).exists()
    assert GridLogEntry.objects.overdue(TODAY).exists()
    assert GridLogEntry.objects.open_on(TODAY).exclude(pk__in=GridLogEntry.objects.overdue(TODAY)).exists()
    assert Grid.objects.without_member(TODAY).exists() or Grid.objects.without_social_worker(TODAY).exists()
    assert any(line.startswith("网格 ") for line in log)
