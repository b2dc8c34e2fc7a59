"""The roster and 365 rules at their edges: quarter boundaries, transfers, households lifted out,
members who become leading cadres mid-year, and completion derived from dated records."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from members.models import Fulfilment, Household, Member, Pairing, Pledge, Visit
from members.querysets import completion_by_organization
from members.services import member_transfer
from talent.models import TalentProject
from tests.factories import MemberFactory, TalentFactory, resident_id
from xiangcheng.periods import quarter_period

Q1, Q2, Q3, Q4 = (quarter_period(2026, q) for q in (1, 2, 3, 4))
MALE_1990 = resident_id(3, birth="19900315", region="320500")  # 17th digit 3: male


def household(organization, **kwargs):
    return Household.objects.create(
        head=kwargs.pop("head", "王大"),
        address="一组1号",
        organization=organization,
        village="甲村",
        hardship="illness",
        registered_on=kwargs.pop("registered_on", date(2025, 6, 1)),
        **kwargs,
    )


def visit(pairing, day):
    return Visit.objects.create(pairing=pairing, visited_on=day, action="走访")


def unvisited(quarter, on=None):
    return set(Household.objects.unvisited(quarter.start, quarter.end, on or quarter.end))


# The roster


def test_birth_date_and_sex_are_derived_from_the_id_number(tree):
    member = Member(name="张三", id_number=MALE_1990.lower()[:-1] + MALE_1990[-1], organization=tree["A0101"])
    member.full_clean()
    assert (member.birth_date, member.sex) == (date(1990, 3, 15), "male")


def test_sex_that_contradicts_the_id_number_is_refused(tree):
    member = Member(name="张三", id_number=MALE_1990, sex="female", organization=tree["A0101"])
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert error.value.message_dict["sex"] == ["性别与身份证号不符：身份证号显示为男。"]


def test_invalid_id_number_gets_a_chinese_message(tree):
    member = Member(name="张三", id_number=MALE_1990[:-1] + "0", organization=tree["A0101"])
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    # One message, on the field: no repeat, and no knock-on complaint about the sex it could not give.
    assert error.value.message_dict == {"id_number": ["身份证号校验位不正确，请核对。"]}


def test_the_same_person_cannot_be_on_the_roll_twice(tree):
    MemberFactory(id_number=MALE_1990, organization=tree["A0101"])
    member = Member(name="张三", id_number=MALE_1990, organization=tree["B0101"])
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert error.value.message_dict["id_number"] == ["该身份证号的党员已在册，不能重复登记。"]


def test_joining_before_eighteen_is_refused(tree):
    member = Member(name="张三", id_number=MALE_1990, organization=tree["A0101"], joined_on=date(2008, 3, 14))
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "joined_on" in error.value.message_dict
    member.joined_on = date(2008, 3, 15)
    member.full_clean()


def test_a_transferred_member_counts_where_they_were_in_each_period(tree, cast):
    member = MemberFactory(organization=tree["A0101"], joined_on=date(2020, 1, 1))
    member_transfer(member=member, to_organization=tree["B0101"], on=date(2026, 7, 1))
    then = Member.objects.with_organization_on
    assert then(date(2026, 6, 30)).get().organization_on == tree["A0101"].pk
    assert then(date(2026, 7, 1)).get().organization_on == tree["B0101"].pk
    q2 = completion_by_organization(cast["staff"], 2026, 2, date(2026, 11, 28))
    q3 = completion_by_organization(cast["staff"], 2026, 3, date(2026, 11, 28))
    assert [(row["organization"].code, row["members"]) for row in q2["branches"]] == [("A0101", 1)]
    assert [(row["organization"].code, row["members"]) for row in q3["branches"]] == [("B0101", 1)]


def test_memberships_follow_transfers_including_two_on_one_day(tree):
    from members.models import Membership, MemberTransfer

    moved = MemberFactory(organization=tree["B0102"], joined_on=date(2020, 1, 1))
    stayed = MemberFactory(organization=tree["A0102"], joined_on=date(2020, 1, 1))
    for source, target, day in [
        ("A0101", "A0102", date(2026, 3, 1)),
        ("A0102", "B0101", date(2026, 8, 1)),
        ("B0101", "B0102", date(2026, 8, 1)),  # the later of two moves on one day wins
    ]:
        MemberTransfer.objects.create(
            member=moved, from_organization=tree[source], to_organization=tree[target], transferred_on=day
        )

    def where(member, day):
        (organization,) = Membership.objects.on(day).filter(member=member).values_list("organization__code", flat=True)
        annotated = Member.objects.with_organization_on(day).get(pk=member.pk).organization_on
        assert annotated == tree[organization].pk
        return organization

    assert [where(moved, day) for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 7, 31))] == [
        "A0101",
        "A0102",
        "A0102",
    ]
    assert [where(moved, day) for day in (date(2026, 8, 1), date(2030, 1, 1))] == ["B0102", "B0102"]
    assert [where(stayed, day) for day in (date(1990, 1, 1), date(2026, 8, 1))] == ["A0102", "A0102"]


def test_completion_scopes_by_the_tree_not_by_a_list_of_ids(tree, cast, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    MemberFactory(organization=tree["A0101"], joined_on=date(2020, 1, 1))
    # Whole-district staff: no scope condition at all. A part of the district (a secretary's
    # town, a town staff pick): the organizations on its path, read once by the statement
    # itself. The root picked by staff: a semi-join on the path.
    for who, organization, condition in [
        ("staff", None, None),
        ("secretary_a", None, "= ANY((ARRAY(SELECT"),
        ("staff", tree["B"], "= ANY((ARRAY(SELECT"),
        ("staff", tree["district"], "IN (SELECT"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            completion_by_organization(cast[who], 2026, None, date(2026, 11, 28), organization)
        counting = [q["sql"] for q in queries.captured_queries if "organization_then" in q["sql"]]
        # No list of ids written into the statement (ids inlined as an array or an IN list).
        assert counting and not any(re.search(r"ANY\(ARRAY\[|IN \(\d", sql) for sql in counting)
        assert all(("<@" in sql) == (condition is not None) for sql in counting)
        assert all(condition is None or condition in sql for sql in counting)


def test_each_secretary_sees_a_transferred_member_only_in_their_own_periods(tree, cast):
    member = MemberFactory(organization=tree["A0101"], joined_on=date(2020, 1, 1))
    member_transfer(member=member, to_organization=tree["B0101"], on=date(2026, 7, 1))
    today = date(2026, 11, 28)

    def codes(who, quarter):
        return [
            row["organization"].code for row in completion_by_organization(cast[who], 2026, quarter, today)["branches"]
        ]

    assert codes("secretary_a", 2) == ["A0101"] and codes("secretary_a", 3) == []
    assert codes("secretary_b", 2) == [] and codes("secretary_b", 3) == ["B0101"]


def test_a_transfer_cannot_predate_the_previous_one(tree):
    member = MemberFactory(organization=tree["A0101"])
    member_transfer(member=member, to_organization=tree["B0101"], on=date(2026, 7, 1))
    with pytest.raises(ValidationError):
        member_transfer(member=member, to_organization=tree["A0102"], on=date(2026, 6, 1))


def test_members_off_the_roll_leave_the_lists_from_their_date(tree):
    member = MemberFactory(organization=tree["A0101"], status="transferred_out", status_on=date(2026, 5, 1))
    assert member in Member.objects.without_pledge(2026, date(2026, 4, 30))
    assert member not in Member.objects.without_pledge(2026, date(2026, 5, 1))


# Pledges: completion is derived, never typed in


@pytest.fixture
def pledge(tree):
    member = MemberFactory(organization=tree["A0101"], agency_member_since=date(2020, 1, 1))
    return Pledge.objects.create(member=member, year=2026, pledged_on=date(2026, 1, 15), households=1)


def fulfil(pledge, kind, day=date(2026, 3, 1), **evidence):
    return Fulfilment.objects.create(pledge=pledge, kind=kind, done_on=day, action="办理", **evidence)


def progress(pledge, until=None):
    return Pledge.objects.with_progress(until).get(pk=pledge.pk).line_status()


def test_enterprise_line_is_done_when_each_commitment_has_its_record(pledge):
    fulfil(pledge, "enterprise_need", enterprise="甲企业")
    fulfil(pledge, "enterprise_problem", enterprise="甲企业")
    assert progress(pledge)["enterprise"] is False
    fulfil(pledge, "enterprise_policy", day=date(2026, 12, 1), enterprise="甲企业")
    assert progress(pledge)["enterprise"] is True
    assert progress(pledge, until=date(2026, 11, 30))["enterprise"] is False


def test_relief_line_counts_households_paired_and_visited_that_year(pledge, tree):
    pairing = Pairing.objects.create(member=pledge.member, household=household(tree["A01"]), year=2026)
    assert progress(pledge)["relief"] is False
    visit(pairing, date(2026, 9, 30))
    assert progress(pledge)["relief"] is True
    assert set(Pledge.objects.unfulfilled("relief")) == set()


def test_unfulfilled_lists_pledges_by_line(pledge):
    assert set(Pledge.objects.unfulfilled("talent")) == {pledge}
    assert set(Pledge.objects.unfulfilled()) == {pledge}


def test_talent_records_must_name_the_talents_own_request_and_project(pledge, tree):
    talent, other = TalentFactory(organization=tree["A0101"]), TalentFactory(organization=tree["A0101"])
    request = other.support_requests.create(need="住房", raised_on=date(2026, 1, 1))
    record = Fulfilment(
        pledge=pledge,
        kind="talent_difficulty",
        done_on=date(2026, 2, 1),
        talent=talent,
        support_request=request,
        action="协调",
    )
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    assert error.value.message_dict["support_request"] == ["所选诉求不是该人才提出的。"]
    project = TalentProject.objects.create(title="项目", enterprise="企业", organization=tree["A"])
    record = Fulfilment(
        pledge=pledge, kind="talent_project", done_on=date(2026, 2, 1), talent=talent, project=project, action="协调"
    )
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    assert error.value.message_dict["project"] == ["所选项目不属于该人才。"]
    project.talents.add(talent)
    record.full_clean()


def test_records_outside_the_pledge_year_are_refused(pledge):
    record = Fulfilment(pledge=pledge, kind="enterprise_need", done_on=date(2025, 12, 31), enterprise="甲", action="x")
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    assert error.value.message_dict["done_on"] == ["日期应在承诺年度（2026年）内。"]


def test_a_leading_cadre_cannot_pledge_fewer_than_two_households(tree):
    member = MemberFactory(organization=tree["A0101"], leading_cadre_since=date(2026, 8, 1))
    pledge = Pledge(member=member, year=2026, pledged_on=date(2026, 1, 5), households=1)
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert error.value.message_dict["households"] == ["该党员每年至少结对帮扶 2 户困难家庭。"]


# Households, pairings and visits


def test_a_visit_on_the_last_day_of_a_quarter_counts_in_that_quarter_only(tree):
    home = household(tree["A01"])
    pairing = Pairing.objects.create(member=MemberFactory(organization=tree["A0101"]), household=home, year=2026)
    visit(pairing, date(2026, 3, 31))
    assert home not in unvisited(Q1)
    assert home in unvisited(Q2)
    visit(pairing, date(2026, 4, 1))
    assert home not in unvisited(Q2)


def test_a_household_lifted_out_mid_quarter_needs_no_visit_from_then(tree):
    home = household(tree["A01"], status="lifted_out", status_on=date(2026, 8, 10))
    Pairing.objects.create(member=MemberFactory(organization=tree["A0101"]), household=home, year=2026)
    assert home in unvisited(Q2)
    assert home not in unvisited(Q3)
    assert home in unvisited(Q3, on=date(2026, 8, 9))
    assert home not in Household.objects.unpaired(2026, date(2026, 8, 10))


def test_every_household_being_helped_must_be_paired_each_year(tree):
    home = household(tree["A01"])
    Pairing.objects.create(member=MemberFactory(organization=tree["A0101"]), household=home, year=2025)
    assert set(Household.objects.unpaired(2026, date(2026, 1, 1))) == {home}
    assert set(Household.objects.unpaired(2025, date(2025, 12, 31))) == set()
    registered_later = household(tree["A01"], head="李二", registered_on=date(2026, 9, 1))
    assert registered_later not in Household.objects.unpaired(2026, date(2026, 8, 31))
    assert registered_later in Household.objects.unpaired(2026, date(2026, 9, 1))


def test_a_member_who_becomes_a_leading_cadre_mid_year_needs_two_households_from_then(tree):
    member = MemberFactory(
        organization=tree["A0101"], agency_member_since=date(2019, 1, 1), leading_cadre_since=date(2026, 7, 1)
    )
    Pairing.objects.create(member=member, household=household(tree["A01"]), year=2026)
    assert member not in Member.objects.below_household_quota(2026, date(2026, 6, 30))
    short = Member.objects.below_household_quota(2026, date(2026, 7, 1)).get()
    assert (short, short.household_quota, short.households_paired) == (member, 2, 1)
    Pairing.objects.create(member=member, household=household(tree["A01"], head="李二"), year=2026)
    assert not Member.objects.below_household_quota(2026, date(2026, 7, 1)).exists()


def test_agency_members_need_one_household_and_others_none(tree):
    agency = MemberFactory(organization=tree["A0101"], agency_member_since=date(2020, 1, 1))
    MemberFactory(organization=tree["A0101"])
    assert list(Member.objects.below_household_quota(2026, date(2026, 3, 1))) == [agency]


def test_visits_outside_the_pairing_year_are_refused(tree):
    pairing = Pairing.objects.create(
        member=MemberFactory(organization=tree["A0101"]), household=household(tree["A01"]), year=2026
    )
    with pytest.raises(ValidationError) as error:
        Visit(pairing=pairing, visited_on=date(2025, 12, 31), action="走访").full_clean()
    assert error.value.message_dict["visited_on"] == ["走访日期应在结对年度（2026年）内。"]


def test_lifted_out_household_needs_its_date(tree):
    home = Household(
        head="王",
        address="x",
        organization=tree["A01"],
        village="甲村",
        hardship="illness",
        registered_on=date(2025, 1, 1),
        status="lifted_out",
    )
    with pytest.raises(ValidationError) as error:
        home.full_clean()
    assert error.value.message_dict["status_on"] == ["已脱困的家庭须填写脱困日期。"]


# Completion by organization


def test_completion_by_branch_and_town_names_the_secretary(tree, cast):
    MemberFactory(name="甲书记", organization=tree["A0101"], party_post="secretary")
    done = MemberFactory(organization=tree["A0101"])
    pledge = Pledge.objects.create(member=done, year=2026, pledged_on=date(2026, 1, 5))
    for kind in ("enterprise_need", "enterprise_problem", "enterprise_policy"):
        fulfil(pledge, kind, enterprise="甲企业")
    Pledge.objects.create(member=MemberFactory(organization=tree["A0102"]), year=2026, pledged_on=date(2026, 1, 5))
    home = household(tree["A01"])
    pairing = Pairing.objects.create(member=done, household=home, year=2026)
    visit(pairing, date(2026, 2, 1))
    result = completion_by_organization(cast["staff"], 2026, None, date(2026, 11, 28))
    rows = {row["organization"].code: row for row in result["branches"]}
    assert rows["A0101"]["secretary"] == "甲书记"
    assert (rows["A0101"]["members"], rows["A0101"]["pledges"], rows["A0101"]["enterprise"]) == (2, 1, 1)
    assert rows["A0101"]["coverage"] == {1: (1, 1), 2: (0, 1), 3: (0, 1), 4: (0, 1)}
    (town,) = result["towns"]
    assert (town["town"].code, town["members"], town["pledges"], town["enterprise"]) == ("A", 3, 2, 1)
    assert town["coverage"][1] == (1, 1)


def test_each_quarters_coverage_counts_where_the_member_was_and_who_was_still_helped(tree, cast):
    member = MemberFactory(organization=tree["A0101"], joined_on=date(2020, 1, 1))
    member_transfer(member=member, to_organization=tree["B0101"], on=date(2026, 7, 1))
    helped = Pairing.objects.create(member=member, household=household(tree["A01"], head="甲户"), year=2026)
    visit(helped, date(2026, 2, 10))
    visit(helped, date(2026, 8, 10))
    lifted = household(tree["A01"], head="乙户", status="lifted_out", status_on=date(2026, 5, 15))
    visit(Pairing.objects.create(member=member, household=lifted, year=2026), date(2026, 1, 20))
    for who in ("staff", "secretary_a", "secretary_b"):
        result = completion_by_organization(cast[who], 2026, None, date(2026, 11, 28))
        coverage = {row["organization"].code: row["coverage"] for row in result["branches"]}
        expected = {
            "staff": {"A0101": {1: (2, 2), 2: (0, 1)}, "B0101": {3: (1, 1), 4: (0, 1)}},
            "secretary_a": {"A0101": {1: (2, 2), 2: (0, 1)}},
            "secretary_b": {"B0101": {3: (1, 1), 4: (0, 1)}},
        }[who]
        assert coverage == expected, who
    third = completion_by_organization(cast["staff"], 2026, 3, date(2026, 11, 28))
    assert {row["organization"].code: row["coverage"] for row in third["branches"]} == {"B0101": {3: (1, 1)}}


def test_completion_holds_only_the_secretarys_subtree(tree, cast):
    MemberFactory(organization=tree["A0101"])
    MemberFactory(organization=tree["B0101"])
    result = completion_by_organization(cast["secretary_a"], 2026, 4, date(2026, 11, 28))
    assert [row["organization"].code for row in result["branches"]] == ["A0101"]


def test_completion_costs_a_fixed_number_of_queries(tree, cast, django_assert_num_queries):
    def grow(n):
        for i in range(n):
            member = MemberFactory(organization=tree["A0101" if i % 2 else "B0102"])
            Pledge.objects.create(member=member, year=2026, pledged_on=date(2026, 1, 5))
            pairing = Pairing.objects.create(member=member, household=household(tree["A01"], head=f"户{i}"), year=2026)
            visit(pairing, date(2026, 1, 9))

    def count_with_a_fresh_user():
        # Pledges, members, visit coverage (every quarter in one), organizations, towns,
        # secretaries, and the user's two permission lookups; the scope is part of each query,
        # not a query of its own.
        user = type(cast["staff"]).objects.get(pk=cast["staff"].pk)
        with django_assert_num_queries(8):
            completion_by_organization(user, 2026, None, date(2026, 11, 28))

    grow(2)
    count_with_a_fresh_user()
    grow(6)
    count_with_a_fresh_user()


def test_demo_members_serve_talents_their_secretary_can_open(db):
    import os

    from django.core.management import call_command

    call_command("seed_demo", scale=0.05, stdout=open(os.devnull, "w"))
    records = Fulfilment.objects.filter(talent__isnull=False).select_related(
        "talent__organization", "pledge__member__organization"
    )
    assert records.exists()
    for record in records:
        assert record.talent.organization.town_path == record.pledge.member.organization.town_path
