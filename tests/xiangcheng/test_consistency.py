"""The consistency checks of the data-quality page: dates and ID numbers that cannot all be true.
Each finds the row that trips it and not the one beside it, counts on the page what its link
lists, for district staff and within a secretary's town."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from cadres.models import AnnualEvaluation, Cadre, PostRecord, RankChange
from members.models import Fulfilment, Household, Member, Pairing, Pledge, Visit
from talent.models import Talent
from tests import clock
from tests.factories import CadreFactory, MemberFactory, TalentFactory, resident_id
from xiangcheng import quality
from xiangcheng.people import years_between
from xiangcheng.quality import run_checks

QUALITY = "/admin/reports/quality/"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def member(tree, born: str, serial: int = 1, town: str = "A", **fields) -> Member:
    """A member born on `born` (YYYYMMDD), birth date and sex from the ID number unless given."""
    return MemberFactory(organization=tree[f"{town}0101"], id_number=resident_id(serial, birth=born), **fields)


def cadre(tree, born: str = "19900601", serial: int = 1, posts=(), ranks=(), evaluations=()) -> Cadre:
    found = CadreFactory(organization=tree["A0101"], id_number=resident_id(serial, birth=born, region="320500"))
    for start in posts:
        PostRecord.objects.create(cadre=found, start=start, unit="元和街道", post="科员")
    for changed_on in ranks:
        RankChange.objects.create(cadre=found, rank="staff_member", changed_on=changed_on)
    for year in evaluations:
        AnnualEvaluation.objects.create(cadre=found, year=year, grade="competent")
    return found


def pledge(tree, pledged_on: date, done_on: date, serial: int, town: str = "A") -> Pledge:
    owner = member(tree, "19800101", serial, town)
    found = Pledge.objects.create(member=owner, year=pledged_on.year, pledged_on=pledged_on)
    Fulfilment.objects.create(pledge=found, kind="enterprise_need", done_on=done_on, enterprise="某公司", action="走访")
    return found


def pairing(tree, year: int, visited_on: date, serial: int, town: str = "A") -> Pairing:
    owner = member(tree, "19800101", serial, town)
    household = Household.objects.create(
        head=f"户主{serial}",
        address="一组",
        organization=tree[f"{town}01"],
        village="村",
        hardship="illness",
        registered_on=date(2019, 1, 1),
    )
    found = Pairing.objects.create(member=owner, household=household, year=year)
    Visit.objects.create(pairing=found, visited_on=visited_on, action="送药")
    return found


def rows(key, user):
    """The rows check `key` finds within what `user` may see, as the page counts them."""
    check = quality.checks.get(key)
    return set(check.rows(user).visible_to(user))


# --- Each check: the row that trips it, and the one beside it that does not --------------------


def test_joining_before_18_trips_and_on_the_18th_birthday_does_not(cast, tree):
    under = member(tree, "20000315", 1, joined_on=date(2018, 3, 14))  # 17 years and 364 days
    member(tree, "20000315", 2, joined_on=date(2018, 3, 15))  # 18 on the day
    # Born on 29 February: 18 on 1 March of a common year, as the member form judges it.
    leap_under = member(tree, "20000229", 3, joined_on=date(2018, 2, 28))
    member(tree, "20000229", 4, joined_on=date(2018, 3, 1))
    member(tree, "20000315", 5, joined_on=None)
    assert rows("members_joined_under_18", cast["staff"]) == {under, leap_under}


def test_the_sql_age_is_the_age_the_forms_judge(cast, tree):
    """The check and `Member.clean` read one rule: on every day around a birthday, leap days too."""
    days = [
        (born, joined)
        for born in ("20000315", "20000229", "20001231", "20000101")
        for joined in (date(2018, 2, 27), date(2018, 2, 28), date(2018, 3, 1), date(2018, 3, 14))
        + (date(2018, 3, 15), date(2018, 12, 30), date(2018, 12, 31), date(2019, 1, 1), date(2017, 12, 31))
    ]
    made = {member(tree, born, n, joined_on=joined): (born, joined) for n, (born, joined) in enumerate(days)}
    under = {
        found
        for found, (born, joined) in made.items()
        if years_between(date(int(born[:4]), int(born[4:6]), int(born[6:])), joined) < 18
    }
    assert rows("members_joined_under_18", cast["staff"]) == under
    assert 0 < len(under) < len(made)


def test_joining_before_birth_trips_once(cast, tree):
    before = member(tree, "19800601", 1, joined_on=date(1980, 5, 31))
    member(tree, "19800601", 2, joined_on=date(2000, 6, 1))
    assert rows("members_joined_before_birth", cast["staff"]) == {before}
    # Named by its own check only, not also as joining under 18.
    assert before not in rows("members_joined_under_18", cast["staff"])


def test_member_whose_birth_date_or_sex_disagrees_with_the_id_number_trips(cast, tree):
    born_elsewhere = member(tree, "19800601", 1)
    other_sex = member(tree, "19800601", 2)  # serial 002: the 17th digit 2 is even, female
    agreeing = member(tree, "19800601", 3, joined_on=date(2000, 6, 1))
    Member.objects.filter(pk=born_elsewhere.pk).update(birth_date=date(1980, 6, 2))
    Member.objects.filter(pk=other_sex.pk).update(sex="male")
    assert other_sex.sex == "female"
    # A malformed number is the malformed-number check's row, whatever its birth date says.
    malformed = Member.objects.create(
        name="格式错", id_number="32050019800601", birth_date=date(1990, 1, 1), sex="male", organization=tree["A0101"]
    )
    found = rows("members_id_number_disagrees", cast["staff"])
    assert found == {born_elsewhere, other_sex}
    assert agreeing not in found and malformed in rows("members_malformed_id", cast["staff"])


def test_member_with_an_x_check_digit_is_read_like_any_other(cast, tree):
    numbers = (resident_id(n, birth="19800601") for n in range(200))
    with_x = next(number for number in numbers if number.endswith("X"))
    agreeing = MemberFactory(organization=tree["A0101"], id_number=with_x)
    assert agreeing not in rows("members_id_number_disagrees", cast["staff"])
    Member.objects.filter(pk=agreeing.pk).update(birth_date=date(1980, 6, 2))
    assert rows("members_id_number_disagrees", cast["staff"]) == {agreeing}


def test_pledge_fulfilled_before_it_was_made_trips(cast, tree):
    early = pledge(tree, date(2026, 5, 17), date(2026, 5, 16), 1)
    pledge(tree, date(2026, 5, 17), date(2026, 5, 17), 2)  # on the day of the pledge
    assert rows("pledges_fulfilled_before_pledging", cast["staff"]) == {early}


def test_visit_before_the_pairing_year_trips(cast, tree):
    early = pairing(tree, 2026, date(2025, 12, 31), 1)
    pairing(tree, 2026, date(2026, 1, 1), 2)
    assert rows("pairings_visited_before_start", cast["staff"]) == {early}


def test_work_started_before_16_trips_and_on_the_16th_birthday_does_not(cast, tree):
    young = cadre(tree, "19900601", 1, posts=[date(2006, 5, 31), date(2012, 7, 1)])
    cadre(tree, "19900601", 2, posts=[date(2006, 6, 1)])
    cadre(tree, "19900601", 3)  # no post: no work start to judge
    assert rows("cadres_work_started_under_16", cast["staff"]) == {young}


def test_rank_before_work_started_trips(cast, tree):
    early = cadre(tree, serial=1, posts=[date(2012, 7, 1)], ranks=[date(2012, 6, 30), date(2016, 7, 1)])
    cadre(tree, serial=2, posts=[date(2015, 1, 1), date(2012, 7, 1)], ranks=[date(2012, 7, 1)])
    cadre(tree, serial=3, ranks=[date(2012, 7, 1)])  # no post recorded
    assert rows("cadres_rank_before_work", cast["staff"]) == {early}


def test_evaluation_for_a_year_before_the_first_post_trips(cast, tree):
    early = cadre(tree, serial=1, posts=[date(2012, 7, 1)], evaluations=[2011, 2012])
    # The first post is the earliest, whatever order the posts were entered in.
    cadre(tree, serial=2, posts=[date(2015, 1, 1), date(2010, 7, 1)], evaluations=[2012])
    cadre(tree, serial=3, posts=[date(2012, 7, 1)], evaluations=[2012, 2013])
    cadre(tree, serial=4, evaluations=[2011])  # no post recorded
    assert rows("cadres_evaluation_before_first_post", cast["staff"]) == {early}


def test_cadre_whose_birth_date_or_sex_disagrees_with_the_id_number_trips(cast, tree):
    born_elsewhere, other_sex = cadre(tree, serial=1), cadre(tree, serial=2)
    agreeing = cadre(tree, serial=3)
    Cadre.objects.filter(pk=born_elsewhere.pk).update(birth_date=date(1991, 6, 1))
    Cadre.objects.filter(pk=other_sex.pk).update(sex="male")
    assert rows("cadres_id_number_disagrees", cast["staff"]) == {born_elsewhere, other_sex}
    assert agreeing not in rows("cadres_id_number_disagrees", cast["staff"])


def test_talent_whose_birth_date_or_sex_disagrees_with_the_resident_id_trips(cast, as_user, tree):
    def talent(serial, town="A", **fields):
        number = resident_id(serial, birth="19850101")
        return TalentFactory(organization=tree[f"{town}0101"], id_number=number, **fields)

    born_elsewhere = talent(1, sex="male", birth_date=date(1985, 1, 2))
    other_sex = talent(2, sex="male", birth_date=date(1985, 1, 1))  # serial 002: female
    talent(3, sex="male", birth_date=date(1985, 1, 1))
    talent(5, sex="male", birth_date=None)  # no birth date typed in: nothing against the number
    talent(7, sex="female", birth_date=date(1990, 1, 1), document_type="passport")  # not a resident ID
    in_b = talent(9, town="B", sex="female", birth_date=date(1985, 1, 1))
    assert rows("talent_id_number_disagrees", cast["staff"]) == {born_elsewhere, other_sex, in_b}
    client = as_user(cast["secretary_a"])
    [result] = [result for result in run_checks(cast["secretary_a"]) if result.key == "talent_id_number_disagrees"]
    listed = client.get(result.url).context["cl"]
    assert set(listed.queryset) == {born_elsewhere, other_sex}
    assert result.count == listed.result_count == 2


# --- The page counts what its link lists, within the user's scope ------------------------------


def faulty_rows(tree, town: str, serial: int) -> dict:
    """A row tripping each check on the member roll's records, in `town`, by check."""
    other_sex = member(tree, "19800601", serial + 2, town)
    Member.objects.filter(pk=other_sex.pk).update(sex="male" if other_sex.sex == "female" else "female")
    return {
        "members_joined_under_18": member(tree, "20000315", serial, town, joined_on=date(2018, 1, 1)),
        "members_joined_before_birth": member(tree, "20000315", serial + 1, town, joined_on=date(1999, 1, 1)),
        "members_id_number_disagrees": other_sex,
        "pledges_fulfilled_before_pledging": pledge(tree, date(2026, 5, 17), date(2026, 5, 1), serial + 3, town),
        "pairings_visited_before_start": pairing(tree, 2026, date(2025, 12, 1), serial + 4, town),
    }


MEMBER_ROLL_CHECKS = [
    "members_joined_under_18",
    "members_joined_before_birth",
    "members_id_number_disagrees",
    "pledges_fulfilled_before_pledging",
    "pairings_visited_before_start",
]
CADRE_CHECKS = [
    "cadres_work_started_under_16",
    "cadres_rank_before_work",
    "cadres_evaluation_before_first_post",
    "cadres_id_number_disagrees",
]


def test_page_counts_what_each_link_lists_for_staff_and_within_a_secretarys_town(cast, as_user, tree):
    in_a, in_b = faulty_rows(tree, "A", 10), faulty_rows(tree, "B", 20)
    for who, expected in [("staff", (in_a, in_b)), ("secretary_a", (in_a,))]:
        client = as_user(cast[who])
        page = client.get(QUALITY)
        results = {result.key: result for result in page.context["results"]}
        body = page.content.decode().replace("&amp;", "&")
        for key in MEMBER_ROLL_CHECKS:
            result = results[key]
            listed = client.get(result.url).context["cl"]
            # The secretary's count and list hold town A's row, never town B's.
            assert set(listed.queryset) == {rows[key] for rows in expected}, (who, key)
            assert result.count == listed.result_count == len(expected), (who, key)
            assert f'href="{result.url}"' in body


def test_cadre_checks_count_what_their_links_list_and_are_not_shown_to_a_secretary(cast, as_user, tree):
    young = cadre(tree, "19900601", 1, posts=[date(2005, 1, 1)], ranks=[date(2004, 1, 1)], evaluations=[2004])
    other_sex = cadre(tree, serial=2)
    Cadre.objects.filter(pk=other_sex.pk).update(sex="male")
    cadre(tree, serial=3, posts=[date(2012, 7, 1)], ranks=[date(2012, 7, 1)], evaluations=[2012])
    client = as_user(cast["staff"])
    results = {result.key: result for result in client.get(QUALITY).context["results"]}
    for key in CADRE_CHECKS:
        listed = client.get(results[key].url).context["cl"]
        assert list(listed.queryset) == [other_sex if key == "cadres_id_number_disagrees" else young], key
        assert results[key].count == listed.result_count == 1, key
    secretary = {result.key for result in run_checks(cast["secretary_a"])}
    assert "members_joined_under_18" in secretary and secretary.isdisjoint(CADRE_CHECKS)


# --- Demo data -------------------------------------------------------------------------------


def test_demo_data_trips_no_consistency_check(db):
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    assert Member.objects.exists() and Cadre.objects.exists() and Pairing.objects.exists() and Talent.objects.exists()
    keys = [*MEMBER_ROLL_CHECKS, *CADRE_CHECKS, "talent_id_number_disagrees"]
    found = {key: quality.checks.get(key).rows(None).count() for key in keys}
    assert found == dict.fromkeys(keys, 0)
