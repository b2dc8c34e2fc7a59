from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Func, IntegerField, Value
from django.test.utils import CaptureQueriesContext

from branches.models import Organization
from tests.factories import OrganizationFactory
from xiangcheng import targets
from xiangcheng.models import Target, TargetMilestone
from xiangcheng.targets import progress, progress_list, register_rule, rule_choices

TARGETS = "/admin/xiangcheng/target/"


def organizations_founded(target, start, end):
    """Organizations founded in [start, end]; `parameter`, when set, narrows to one type."""
    organizations = Organization.objects.filter(founded_on__range=(start, end))
    if target.parameter:
        organizations = organizations.filter(type=target.parameter)
    return organizations


def fixed_rows(target, start, end):
    """As many rows as `parameter` says, whatever the dates: isolates the arithmetic from the
    counting (the target's own row, repeated by generate_series)."""
    series = Func(Value(1), Value(int(target.parameter or 0)), function="generate_series", output_field=IntegerField())
    return Target.objects.filter(pk=target.pk).annotate(n=series)


@pytest.fixture(autouse=True)
def _test_rules(monkeypatch):
    """The two rules of these tests, in a copy of the registry thrown away after each test."""
    monkeypatch.setattr(targets, "rules", targets.rules.copy())
    register_rule("test_organizations_founded", "新成立党组织（测试）")(organizations_founded)
    register_rule("test_fixed", "固定数量（测试）")(fixed_rows)


def make_target(*, rule="test_organizations_founded", value=3000, start=date(2018, 1, 1), end=date(2020, 12, 31), **kw):
    target = Target(name=kw.pop("name", "三年新建党组织"), rule=rule, value=value, start=start, end=end, **kw)
    target.full_clean()
    target.save()
    return target


def found(tree, *days):
    for day in days:
        OrganizationFactory(parent=tree["A01"], founded_on=day)


def test_registered_rules_are_offered_as_choices():
    assert ("test_organizations_founded", "新成立党组织（测试）") in rule_choices()


def test_rule_counts_only_events_inside_the_window(tree):
    found(tree, date(2017, 12, 31), date(2018, 1, 1), date(2019, 5, 1), date(2020, 12, 31), date(2021, 1, 1))
    target = make_target()
    assert progress(target, date(2021, 6, 1)).actual == 3
    # Up to `on` only.
    assert progress(target, date(2019, 4, 30)).actual == 1


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        # 1,096 days (2020 is a leap year): on the first day 3000 / 1096 = 2.74.
        (date(2018, 1, 1), 3),
        # Day 548 of 1,096: exactly half.
        (date(2019, 7, 2), 1500),
        # 2018 is 365 of 1,096 days: 999.09.
        (date(2018, 12, 31), 999),
        (date(2020, 12, 31), 3000),
    ],
)
def test_expected_follows_elapsed_share_of_window(db, on, expected):
    assert progress(make_target(), on).expected == expected


def test_expected_rounds_half_up(db):
    # Two-day windows: 1 × 1/2 = 0.5 and 5 × 1/2 = 2.5, which half-to-even would round down.
    one = make_target(rule="test_fixed", value=1, start=date(2024, 1, 1), end=date(2024, 1, 2))
    five = make_target(rule="test_fixed", value=5, start=date(2024, 1, 1), end=date(2024, 1, 2))
    assert progress(one, date(2024, 1, 1)).expected == 1
    assert progress(five, date(2024, 1, 1)).expected == 3


@pytest.mark.parametrize(
    ("actual", "status", "label"),
    [
        (101, "on_pace", "按计划推进"),
        (100, "on_pace", "按计划推进"),
        (99, "behind", "进度滞后"),
        (85, "behind", "进度滞后"),
        (84, "far_behind", "严重滞后"),
        (0, "far_behind", "严重滞后"),
    ],
)
def test_status_boundaries_at_100_and_85_percent(db, actual, status, label):
    target = make_target(rule="test_fixed", parameter=str(actual), value=100)
    result = progress(target, target.end)
    assert result.expected == 100
    assert (result.status, result.status_label) == (status, label)
    assert result.ratio == Decimal(actual) / 100


def test_nothing_expected_is_on_pace(db):
    target = make_target(rule="test_fixed", parameter="0", value=0)
    result = progress(target, date(2019, 1, 1))
    assert (result.expected, result.ratio, result.status) == (0, None, "on_pace")


def test_milestones_set_the_pace(db):
    target = make_target()
    TargetMilestone.objects.create(target=target, due_on=date(2018, 12, 31), value=800)
    TargetMilestone.objects.create(target=target, due_on=date(2019, 12, 31), value=1800)
    expected = {
        # From 0 towards the first milestone: 800 × 183 / 365 = 401.1.
        date(2018, 7, 2): 401,
        date(2018, 12, 31): 800,
        # Between milestones: 800 + 1000 × 183 / 365 = 1301.4.
        date(2019, 7, 2): 1301,
        date(2019, 12, 31): 1800,
        # After the last milestone, towards the target value at the end: 1800 + 1200 × 183 / 366.
        date(2020, 7, 1): 2400,
        date(2020, 12, 31): 3000,
    }
    assert {on: progress(target, on).expected for on in expected} == expected


def test_projected_extends_the_pace_so_far(tree):
    found(tree, date(2018, 3, 1), date(2019, 2, 1), date(2019, 7, 2))
    target = make_target()
    # Half the window gone, 3 founded: 6 by the end.
    assert progress(target, date(2019, 7, 2)).projected == 6
    # Day 1 of 1,096 with nothing founded yet.
    assert progress(target, date(2018, 1, 1)).projected == 0
    # 1 in 365 days: 1096 / 365 = 3.003.
    assert progress(target, date(2018, 12, 31)).projected == 3


def test_before_start_nothing_is_counted_or_expected(tree):
    found(tree, date(2017, 6, 1))
    result = progress(make_target(), date(2017, 12, 31))
    assert (result.actual, result.expected, result.ratio, result.projected) == (0, 0, None, 0)
    assert result.status == "on_pace"


def test_after_end_counts_stop_at_the_end(tree):
    found(tree, date(2019, 1, 1), date(2020, 12, 31), date(2021, 1, 1))
    result = progress(make_target(), date(2022, 1, 1))
    assert (result.actual, result.expected, result.projected) == (2, 3000, 2)
    assert result.status == "far_behind"


def test_parameter_narrows_the_count(tree):
    found(tree, date(2019, 1, 1))
    OrganizationFactory(parent=tree["A"], type=Organization.Type.GENERAL_BRANCH, founded_on=date(2019, 1, 1))
    target = make_target(parameter=Organization.Type.GENERAL_BRANCH)
    assert progress(target, date(2020, 1, 1)).actual == 1


def test_unknown_rule_is_refused_in_chinese(db):
    target = Target(name="未知", rule="no_such_rule", value=1, start=date(2024, 1, 1), end=date(2024, 12, 31))
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert refused.value.message_dict["rule"] == ["统计规则“no_such_rule”不存在，请从列表中选择。"]


def test_end_before_start_is_refused_in_chinese(db):
    target = Target(name="倒置", rule="test_fixed", value=1, start=date(2024, 12, 31), end=date(2024, 1, 1))
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert refused.value.messages == ["截止日期不能早于开始日期。"]
    with pytest.raises(IntegrityError), transaction.atomic():
        target.save()


def test_milestone_outside_window_is_refused_in_chinese(db):
    target = make_target()
    milestone = TargetMilestone(target=target, due_on=date(2021, 1, 1), value=3000)
    with pytest.raises(ValidationError) as refused:
        milestone.full_clean()
    message = "节点日期必须在计划目标的起止日期（2018-01-01 至 2020-12-31）之内。"
    assert refused.value.message_dict["due_on"] == [message]


def test_milestone_dates_are_unique_per_target(db):
    target = make_target()
    TargetMilestone.objects.create(target=target, due_on=date(2018, 12, 31), value=800)
    with pytest.raises(ValidationError) as refused:
        TargetMilestone(target=target, due_on=date(2018, 12, 31), value=900).full_clean()
    assert refused.value.messages == ["同一计划目标的节点日期不能重复。"]


def test_progress_list_costs_three_queries_whatever_the_targets_and_the_count(tree, django_assert_num_queries):
    def make_targets(*names):
        for name in names:
            target = make_target(name=name, parameter=Organization.Type.BRANCH)
            TargetMilestone.objects.create(target=target, due_on=date(2018, 12, 31), value=800)

    make_targets("甲", "乙")
    found(tree, date(2019, 1, 1))
    # The targets, their milestones, and one query for every target's count.
    with django_assert_num_queries(3):
        few = progress_list(Target.objects.all(), date(2019, 7, 2))
    make_targets("丙", "丁", "戊", "己")
    found(tree, *[date(2019, 1, 2)] * 49)
    with django_assert_num_queries(3):
        many = progress_list(Target.objects.all(), date(2019, 7, 2))
    assert [p.actual for _, p in few] == [1, 1]
    assert [p.actual for _, p in many] == [50] * 6


def test_a_rule_matching_nothing_by_construction_counts_zero(db):
    register_rule("test_nothing", "空集（测试）")(lambda target, start, end: Target.objects.filter(pk__in=[]))
    assert progress(make_target(rule="test_nothing"), date(2019, 1, 1)).actual == 0


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def test_changelist_shows_progress_with_chinese_status(admin_client_, tree):
    found(tree, date(2019, 1, 1))
    make_target(name="三年新建党组织")
    make_target(name="固定完成", rule="test_fixed", parameter="5", value=5)
    response = admin_client_.get(TARGETS)
    assert response.status_code == 200
    content = response.content.decode()
    assert "三年新建党组织" in content and "新成立党组织（测试）" in content
    assert "2018-01-01 至 2020-12-31" in content
    assert "严重滞后" in content and "按计划推进" in content


def test_changelist_queries_do_not_grow_with_targets_or_counted_rows(admin_client_, tree):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client_.get(TARGETS).status_code == 200
        return len(captured)

    make_target(name="甲")
    found(tree, date(2019, 1, 1))
    queries()  # Warms per-process caches (content types, permissions).
    one_row = queries()
    found(tree, *[date(2019, 1, 2)] * 49)
    assert queries() == one_row
    make_target(name="乙")
    make_target(name="丙")
    assert queries() == one_row


def test_add_page_offers_registered_rules_and_saves_milestones(admin_client_, db):
    page = admin_client_.get(f"{TARGETS}add/").content.decode()
    assert "固定数量（测试）" in page
    response = admin_client_.post(
        f"{TARGETS}add/",
        {
            "name": "党员发展",
            "rule": "test_fixed",
            "parameter": "",
            "start": "2024-01-01",
            "end": "2024-12-31",
            "value": "12",
            "notes": "",
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-due_on": "2025-01-01",
            "milestones-0-value": "6",
        },
    )
    assert response.status_code == 200
    assert "节点日期必须在计划目标的起止日期（2024-01-01 至 2024-12-31）之内。" in response.content.decode()
    assert not Target.objects.exists()
