"""The person rules the member roll, the cadre files and the talent pool share (xiangcheng/people.py)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cadres.models import Cadre
from members.models import Member
from talent.models import Talent
from tests.factories import resident_id
from xiangcheng.people import Sex, is_adult, years_between

NUMBER = resident_id(13, birth="19900215", region="320500")  # the 17th digit, 3, is odd: male


def test_every_register_uses_the_one_sex():
    for model in (Member, Cadre, Talent):
        assert model._meta.get_field("sex").choices == Sex.choices
    assert Talent.Sex is Sex


@pytest.mark.parametrize(
    ("born", "on", "adult"),
    [
        (date(2000, 3, 15), date(2018, 3, 14), False),
        (date(2000, 3, 15), date(2018, 3, 15), True),
        # Born on 29 February: 18 on 1 March of a common year.
        (date(2000, 2, 29), date(2018, 2, 28), False),
        (date(2000, 2, 29), date(2018, 3, 1), True),
    ],
)
def test_adulthood_counts_whole_years(born, on, adult):
    assert is_adult(born, on) is adult
    assert years_between(born, on) == (18 if adult else 17)


def _member(tree, **fields):
    return Member(name="张三", organization=tree["A0101"], **fields)


def _cadre(tree, **fields):
    return Cadre(
        name="张三", organization=tree["A"], unit="区发改委", line="economy", cadre_type="management", **fields
    )


@pytest.mark.parametrize("person", [_member, _cadre], ids=["member", "cadre"])
def test_birth_date_and_sex_come_from_the_id_number_alike(tree, person):
    found = person(tree, id_number=NUMBER)
    found.full_clean()
    assert (found.id_number, found.birth_date, found.sex) == (NUMBER, date(1990, 2, 15), "male")
    found.sex = "female"
    with pytest.raises(ValidationError) as refused:
        found.full_clean()
    assert refused.value.message_dict["sex"] == ["性别与身份证号不符：身份证号显示为男。"]


@pytest.mark.parametrize("person", [_member, _cadre], ids=["member", "cadre"])
def test_invalid_id_number_gets_one_message_alike(tree, person):
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    with pytest.raises(ValidationError) as refused:
        person(tree, id_number=wrong).full_clean()
    # On the field, once, without a knock-on complaint about the sex it could not give.
    assert refused.value.message_dict == {"id_number": ["身份证号校验位不正确，请核对。"]}
