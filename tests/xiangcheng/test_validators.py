from datetime import date

import pytest
from django.core.exceptions import ValidationError

from xiangcheng.validators import (
    id_birth_date,
    id_sex,
    mask_id_number,
    mask_mobile,
    normalize_mobile,
    validate_id_number,
    validate_mobile,
)

VALID_ID = "11010519491231002X"


def test_valid_id_number_passes_and_gives_birth_date_and_sex():
    validate_id_number(VALID_ID)
    validate_id_number(VALID_ID.lower())
    assert id_birth_date(VALID_ID) == date(1949, 12, 31)
    assert id_sex(VALID_ID) == "female"
    assert id_sex("110105194912310010") in ("male", "female")


def test_xiangcheng_residents_pass_whatever_the_region_table_says():
    # 320507 is Xiangcheng District; python-stdnum's region table does not know it.
    validate_id_number("320507198501010016")
    assert id_birth_date("320507198501010016") == date(1985, 1, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "校验位不正确"),
        ("1101051949123100", "应为 18 位"),
        ("3.2e+17", "设为“文本”格式"),
        ("3.20507E+17", "设为“文本”格式"),
        ("110105194913310021", "格式不正确"),
        ("1101051949123100A1", "格式不正确"),
    ],
)
def test_invalid_id_numbers_get_chinese_messages(value, message):
    with pytest.raises(ValidationError) as error:
        validate_id_number(value)
    assert message in error.value.messages[0]


@pytest.mark.parametrize("value", ["13812345678", "+8613812345678", "+86 138 1234 5678", "19912345678"])
def test_mainland_mobiles_pass(value):
    validate_mobile(value)
    assert len(normalize_mobile(value)) == 11


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "0512-65881234", "+1 4155550100"])
def test_other_numbers_are_not_mobiles(value):
    with pytest.raises(ValidationError, match="手机号应为 11 位"):
        validate_mobile(value)


def test_masks_keep_only_the_ends():
    assert mask_id_number(VALID_ID) == "110105***********X"
    assert mask_mobile("13812345678") == "138****5678"


def test_a_masked_id_number_with_the_birth_date_beside_it_does_not_give_the_number_away():
    # 320507********5414 beside 出生日期 1952-03-11 read as 320507195203115414: the mask hid
    # exactly the digits the birth date shows. The order digits (15-17) stay hidden now.
    masked = mask_id_number(VALID_ID)
    birth = VALID_ID[6:14]
    rebuilt = masked[:6] + birth + masked[14:]
    assert "*" in rebuilt[14:17] and rebuilt != VALID_ID
