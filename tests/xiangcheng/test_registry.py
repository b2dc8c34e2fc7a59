"""The registries of report sections, data-quality checks, target rules and to-dos: one small type, filled
from one module per app (its `reports.py`) with named functions, so every number on a page leads
by name to the function that counts it."""

import sys
from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured

from xiangcheng import quality, reports, targets, todos
from xiangcheng.models import Target
from xiangcheng.quality import register_check, run_checks
from xiangcheng.registry import Registry

APPS = ["branches", "talent", "members", "cadres"]


def registered_functions():
    """(what, key, function) of every function the registries hold."""
    for section in reports.sections:
        yield "section", section.key, section.compute
    for check in quality.checks:
        yield "check", check.key, check.rows
        if callable(check.filters):
            yield "check", check.key, check.filters
    for rule in targets.rules:
        yield "rule", rule.key, rule.rows
        if rule.changelist_url is not None:
            yield "rule", rule.key, rule.changelist_url
    for todo in todos.todos:
        yield "to-do", todo.key, todo.due


def test_every_registered_function_is_a_named_function_of_an_apps_reports_module():
    problems = []
    for what, key, function in registered_functions():
        module_name = getattr(function, "__module__", "")
        name = getattr(function, "__name__", "")
        at_module_level = (
            function.__qualname__ == name and getattr(sys.modules.get(module_name), name, None) is function
        )
        if module_name not in {f"{app}.reports" for app in APPS} or not at_module_level:
            problems.append(f"{what} {key}: {module_name}.{function.__qualname__}")
    assert problems == []


def test_the_apps_register_their_pieces_in_app_order():
    # The data-quality page and the target rules' choices list them in this order.
    assert [section.key for section in reports.registered_sections(_Everything())] == [
        "action_branches",
        "grids",
        "pledges",
        "relief",
        "venues",
        "cadres",
        "talent",
    ]
    assert [check.key for check in quality.checks] == [
        "talent_no_introduction_date",
        "talent_counted_twice",
        "talent_id_number_disagrees",
        "members_malformed_id",
        "members_inactive_organization",
        "members_listed_twice",
        "households_listed_twice",
        "households_unpaired",
        "members_joined_under_18",
        "members_joined_before_birth",
        "members_id_number_disagrees",
        "pledges_fulfilled_before_pledging",
        "pairings_visited_before_start",
        "cadres_missing_evaluation",
        "cadres_work_started_under_16",
        "cadres_rank_before_work",
        "cadres_evaluation_before_first_post",
        "cadres_id_number_disagrees",
    ]
    assert [todo.key for todo in todos.todos] == [
        "projects_milestones_overdue",
        "organizations_without_instructor",
        "branches_above_member_limit",
        "branches_few_full_members",
        "committees_term_ending",
        "pairings_unvisited",
        "members_without_pledge",
        "pledges_unfulfilled",
        "cadres_due_back",
        "cadres_missing_evaluation",
        "reserve_review_overdue",
    ]
    assert [key for key, _ in targets.rule_choices()] == [
        "talents_introduced",
        "cadres_section_level_reached",
        "cadres_postings_started",
    ]


class _Everything:
    """A user holding every permission."""

    def has_perm(self, name):
        return True


class _Entry:
    def __init__(self, key):
        self.key = key


def test_a_registry_keeps_the_order_of_registration_and_refuses_a_key_twice():
    registry = Registry("test entry")
    first, second = registry.add(_Entry("b")), registry.add(_Entry("a"))
    assert list(registry) == [first, second]
    assert "a" in registry and registry.get("a") is second and registry.get("c") is None
    with pytest.raises(ImproperlyConfigured):
        registry.add(_Entry("a"))
    copied = registry.copy()
    copied.add(_Entry("c"))
    assert len(copied) == 3 and len(registry) == 2


def test_every_check_counts_the_model_it_declares_and_links_to_its_list(cast, as_user):
    staff = cast["staff"]
    assert all(check.rows(staff).model is check.model for check in quality.checks)
    client = as_user(staff)
    for result in run_checks(staff):
        response = client.get(result.url)
        # An admin answers a filter it does not know with a redirect (?e=1), not the list.
        assert response.status_code == 200, result.key
        assert response.context["cl"].result_count == result.count, result.key


@pytest.fixture
def target_check(monkeypatch):
    """A check on targets (staff may view them, secretaries may not), in a copy of the registry."""
    monkeypatch.setattr(quality, "checks", quality.checks.copy())

    @register_check("targets_without_notes", "未填说明的计划目标", model=Target, filters={"notes": ""})
    def targets_without_notes(user):
        return Target.objects.filter(notes="")

    return targets_without_notes


def test_a_check_registers_once(target_check):
    with pytest.raises(ImproperlyConfigured):
        register_check("targets_without_notes", "未填说明的计划目标", model=Target, filters={})(target_check)


def test_a_check_shows_only_to_users_who_may_view_its_model(cast, target_check):
    Target.objects.create(
        name="三年引进人才", rule="talents_introduced", value=3000, start=date(2018, 1, 1), end=date(2020, 12, 31)
    )
    staff = {result.key: result for result in run_checks(cast["staff"])}
    assert staff["targets_without_notes"].count == 1
    assert staff["targets_without_notes"].url == "/admin/xiangcheng/target/?notes="
    # Not a zero: no line at all.
    assert "targets_without_notes" not in {result.key for result in run_checks(cast["secretary_a"])}


def test_secretary_sees_no_check_on_the_cadre_files(cast):
    assert "cadres_missing_evaluation" in {result.key for result in run_checks(cast["staff"])}
    secretary = {result.key for result in run_checks(cast["secretary_a"])}
    assert "cadres_missing_evaluation" not in secretary
    assert "talent_no_introduction_date" in secretary
    assert run_checks(cast["outsider"]) == []


def test_every_to_do_counts_the_model_it_declares():
    day = date(2026, 11, 18)
    for todo in todos.todos:
        due = todo.due(day)
        assert due is None or due.rows.model is todo.model, todo.key
