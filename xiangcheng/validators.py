"""Validators, normalizers and masks for personal numbers, shared by every app."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

# What Excel makes of an 18-digit number in a column not set to text: 3.20507E+17, 3.2e+17.
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s", "", str(value or "")).upper()


def validate_id_number(value: str) -> None:
    """A mainland resident ID number (GB 11643): 18 characters with a valid check digit."""
    number = normalize_id_number(value)
    if _SCIENTIFIC.match(number):
        raise ValidationError(
            "身份证号被 Excel 转成了科学计数法（如 3.2e+17），请把该列设为“文本”格式后重新填写。",
            code="id_scientific",
        )
    try:
        ric.validate(number)
    except InvalidLength:
        raise ValidationError("身份证号应为 18 位。", code="id_length") from None
    except InvalidChecksum:
        raise ValidationError("身份证号校验位不正确，请核对。", code="id_checksum") from None
    except (InvalidFormat, InvalidComponent):
        raise ValidationError("身份证号格式不正确（出生日期或字符无效）。", code="id_format") from None
    except StdnumError:
        raise ValidationError("身份证号无效。", code="id_invalid") from None


def id_birth_date(value: str) -> date:
    return ric.get_birth_date(normalize_id_number(value))


def id_sex(value: str) -> str:
    """'male' or 'female', from the 17th digit (odd is male)."""
    return "male" if int(normalize_id_number(value)[16]) % 2 else "female"


def normalize_mobile(value: str) -> str:
    number = re.sub(r"[\s-]", "", str(value or ""))
    if number.startswith("+86"):
        number = number[3:]
    return number


def validate_mobile(value: str) -> None:
    """A mainland mobile number: 1[3-9] and 9 more digits, an optional +86 in front."""
    if not _MOBILE.match(normalize_mobile(value)):
        raise ValidationError("手机号应为 11 位，以 13–19 开头（可带 +86）。", code="mobile_invalid")


def mask_id_number(value: str) -> str:
    """320507********1234: region and last four digits stay."""
    value = str(value or "")
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """138****5678."""
    value = str(value or "")
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


MASKS = {"id_number": mask_id_number, "mobile": mask_mobile}
