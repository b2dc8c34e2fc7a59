"""What was done, began or changed is dated no later than today, and a pledge or pairing is for a
plausible year: a slip of the keyboard once saved a visit dated next month (and counted it in this
quarter's coverage), a member who joins in 2030 and a pledge for the year 3000, whose year filter
then offered 3,001 years to every user."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from members.models import Fulfilment, Household, Pairing, Pledge, Visit
from tests import clock
from tests.factories import MemberFactory, resident_id

TODAY = clock.TODAY
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def pledge(tree):
    member = MemberFactory(organization=tree["A0101"])
    return Pledge.objects.create(member=member, year=TODAY.year, pledged_on=date(TODAY.year, 1, 5))


@pytest.fixture
def pairing(tree, pledge):
    household = Household.objects.create(
        head="户甲", address="一组", organization=tree["A01"], village="村", hardship="illness", registered_on=TODAY
    )
    return Pairing.objects.create(member=pledge.member, household=household, year=TODAY.year)


def errors_of(record) -> dict:
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    return error.value.message_dict


def test_a_record_of_tomorrow_is_refused_and_one_of_today_is_not(pledge, pairing):
    record = Fulfilment(pledge=pledge, kind="enterprise_need", done_on=TOMORROW, enterprise="甲", action="x")
    assert errors_of(record)["done_on"] == ["日期不能晚于今天。"]
    record.done_on = TODAY
    record.full_clean()
    visit = Visit(pairing=pairing, visited_on=TOMORROW, action="走访")
    assert errors_of(visit)["visited_on"] == ["日期不能晚于今天。"]
    visit.visited_on = TODAY
    visit.full_clean()


def test_a_member_joins_changes_and_takes_a_role_no_later_than_today(tree):
    member = MemberFactory.build(
        organization=tree["A0101"],
        joined_on=TOMORROW,
        leading_cadre_since=TOMORROW,
        agency_member_since=TOMORROW,
        status="dead",
        status_on=TOMORROW,
    )
    errors = errors_of(member)
    for field in ("joined_on", "leading_cadre_since", "agency_member_since", "status_on"):
        assert errors[field] == ["日期不能晚于今天。"], field


@pytest.mark.parametrize("birth", ["20300101", "18000101"])
def test_an_id_number_of_someone_born_after_today_or_before_1900_is_refused(tree, birth):
    member = MemberFactory.build(organization=tree["A0101"], id_number=resident_id(7, birth=birth))
    assert errors_of(member)["id_number"] == ["身份证号格式不正确（出生日期或字符无效）。"]


@pytest.mark.parametrize("year", [1, 1999, TODAY.year + 2, 3000])
def test_a_pledge_or_pairing_is_for_a_year_from_2000_to_next_year(pledge, pairing, year):
    message = [f"年度应在 2000 年至 {TODAY.year + 1} 年之间。"]
    assert errors_of(Pledge(member=pledge.member, year=year, pledged_on=TODAY))["year"] == message
    assert errors_of(Pairing(member=pairing.member, household=pairing.household, year=year))["year"] == message


def test_the_year_filter_offers_only_years_a_record_may_be_for(cast, as_user, pledge):
    # A year saved before years were checked: the filter once offered every year from 1 to 3000.
    Pledge.objects.create(member=pledge.member, year=3000, pledged_on=date(3000, 1, 5))
    response = as_user(cast["staff"]).get("/admin/members/pledge/")
    years = next(spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "year__exact")
    offered = [value for value, _ in years.lookup_choices]
    assert offered == [str(TODAY.year + 1), str(TODAY.year)]
