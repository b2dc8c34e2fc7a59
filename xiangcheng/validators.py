"""Validators, normalizers and masks for personal numbers, and the check of uploaded files, shared by every app."""

import re
import time
import zipfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import PurePath

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, F, Func, Q, Value, When
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact, In
from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat
from stdnum.exceptions import ValidationError as StdnumError

from xiangcheng.periods import FIRST_YEAR, LAST_YEAR

# What Excel makes of an 18-digit number in a column not set to text: 3.20507E+17, 3.2e+17.
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# No one on the rolls was born before this day, and no one after today.
EARLIEST_BIRTH = date(1900, 1, 1)
# Nothing the portal records is dated later.
LATEST_DAY = date(LAST_YEAR, 12, 31)
# More people than one service could reach: a typing slip (2,000,000,000), not a service.
MOST_PEOPLE_SERVED = 100_000


def today() -> date:
    """Today in the portal's time zone, as `timezone.localdate()`, read once a second: an import
    checks several dates of each of its 25,000 rows, and each reading converts the clock."""
    return _day_of(int(time.time()))


@lru_cache(maxsize=1)
def _day_of(second: int) -> date:
    return timezone.localdate()


def plausible_date(value) -> None:
    """Any date a person types, whatever it is of: from EARLIEST_BIRTH to the end of LAST_YEAR.
    Installed for every date field (`install_date_range`), forms and imports alike: 0001-01-01 and
    9999-12-31 were saved, and a committee term elected 9999-12-31 made two pages answer 500."""
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not EARLIEST_BIRTH <= day <= LATEST_DAY:
        raise ValidationError(f"日期须在 {EARLIEST_BIRTH:%Y-%m-%d} 至 {LATEST_DAY:%Y-%m-%d} 之间。", code="date_range")


def install_date_range() -> None:
    """Every model date field checks `plausible_date` (a default validator: no migration)."""
    from django.db import models

    models.DateField.default_validators = [plausible_date]


def is_key(field, value) -> bool:
    """Whether `value` posted by a page could be a key held in `field` (its type and range, no
    NUL): a picker's chosen value, a bulk action's rows. One that is not is dropped, as a key of
    a row gone is; Django filtered by it and answered 500."""
    try:
        field.clean(value, None)
    except ValidationError:
        return False
    return "\x00" not in str(value)


def not_after_today(value: date) -> None:
    """The day something was done, began or changed: not later than today."""
    if value is not None and value > today():
        raise ValidationError("日期不能晚于今天。", code="future")


def assigned_anew(instance, *fields: str) -> bool:
    """Whether `instance` is new or any of `fields` (attribute names: "member_id") differs from
    its saved row. A rule on whom a record may name, judged by where that person is now (a member
    of the grid's community), holds when they are named: a grid head who has since moved to
    another town still ends their role, and a problem they took is still marked solved."""
    if instance._state.adding or instance.pk is None:
        return True
    saved = type(instance)._default_manager.filter(pk=instance.pk).values(*fields).first()
    return saved is None or any(saved[name] != getattr(instance, name) for name in fields)


def this_year() -> int:
    """The year a pledge or a pairing is made for unless said otherwise."""
    return today().year


def latest_record_year() -> int:
    """The latest year a pledge or a pairing may be for: next year's are made in December."""
    return today().year + 1


def plausible_year(value: int) -> None:
    """The year of a pledge or a pairing: from the earliest year a report covers to next year."""
    latest = latest_record_year()
    if value is not None and not FIRST_YEAR <= value <= latest:
        raise ValidationError(f"年度应在 {FIRST_YEAR} 年至 {latest} 年之间。", code="year")


def plausible_people_served(value: int) -> None:
    if value is not None and value > MOST_PEOPLE_SERVED:
        raise ValidationError(f"服务人次过大（一次服务不超过 {MOST_PEOPLE_SERVED:,} 人次），请核对。", code="people")


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
    # Not ric.validate(): it also looks the region code up in python-stdnum's table, which lacks
    # codes made since (Xiangcheng's own 320507 among them), and would refuse real residents.
    if len(number) != 18:
        raise ValidationError("身份证号应为 18 位。", code="id_length")
    try:
        if not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
            raise InvalidFormat()
        born = ric.get_birth_date(number)
        if not EARLIEST_BIRTH <= born <= today():
            raise InvalidComponent()
        if ric.calc_check_digit(number) != number[17]:
            raise InvalidChecksum()
    except InvalidChecksum:
        raise ValidationError("身份证号校验位不正确，请核对。", code="id_checksum") from None
    except (InvalidFormat, InvalidComponent):
        raise ValidationError("身份证号格式不正确（出生日期或字符无效）。", code="id_format") from None
    except StdnumError:
        raise ValidationError("身份证号无效。", code="id_invalid") from None


def id_number_shaped(field: str = "id_number") -> Q:
    """The numbers in `field` that look like a stored (normalized) ID number: 17 digits and a digit
    or X. The SQL forms of the rules below read only numbers of this shape. A length and a short
    pattern: PostgreSQL matches `^[0-9]{17}[0-9X]$` several times more slowly."""
    return Exact(Length(F(field)), 18) & Q(**{f"{field}__regex": r"^[0-9]+X?$"})


def id_birth_date(value: str) -> date:
    """The birth date: digits 7–14 (YYYYMMDD)."""
    return ric.get_birth_date(normalize_id_number(value))


def id_birth_digits_sql(field: str) -> Substr:
    """`id_birth_date` in SQL: digits 7–14 of the number in `field`, as text (compared with
    `DateDigits` of a date, so a number with an impossible date is never cast)."""
    return Substr(F(field), 7, 8)


class DateDigits(Func):
    """A date as its eight digits YYYYMMDD, as an ID number writes it (read as a timestamp without
    time zone, so the session's zone never shifts it)."""

    function = "TO_CHAR"
    template = "%(function)s(%(expressions)s::timestamp, 'YYYYMMDD')"
    output_field = CharField()


def id_sex(value: str) -> str:
    """'male' or 'female', from the 17th digit (odd is male)."""
    return "male" if int(normalize_id_number(value)[16]) % 2 else "female"


def id_sex_sql(field: str) -> Case:
    """`id_sex` in SQL, for the number in `field`."""
    # Not a regular expression: PostgreSQL reads one much more slowly than a substring.
    odd = In(Substr(F(field), 17, 1), ["1", "3", "5", "7", "9"])
    return Case(When(odd, then=Value("male")), default=Value("female"), output_field=CharField())


def normalize_mobile(value: str) -> str:
    number = re.sub(r"[\s-]", "", str(value or ""))
    if number.startswith("+86"):
        number = number[3:]
    return number


def validate_mobile(value: str) -> None:
    """A mainland mobile number: 1[3-9] and 9 more digits, an optional +86 in front."""
    if not _MOBILE.match(normalize_mobile(value)):
        raise ValidationError("手机号应为 11 位，以 13–19 开头（可带 +86）。", code="mobile_invalid")


# What stands for each hidden digit of a masked number, and the characters a mask keeps at the
# start and at the end, by kind of number. An ID number keeps its region and its check digit:
# its birth date (digits 7-14) is shown beside it wherever it is (出生日期), so a mask that kept
# the last four would give the whole number away with it; its order digits stay hidden. A mobile
# keeps its network and its last four. The SQL export (sqlexport.Masked) applies the same rule.
MASK = "*"
MASK_KEEP = {"id_number": (6, 1), "mobile": (3, 4)}


def _mask(value, keep: tuple[int, int]) -> str:
    value = str(value or "")
    lead, tail = keep
    if len(value) <= lead + tail:
        return MASK * len(value)
    return value[:lead] + MASK * (len(value) - lead - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """320507***********4: region and check digit stay."""
    return _mask(value, MASK_KEEP["id_number"])


def mask_mobile(value: str) -> str:
    """138****5678."""
    return _mask(value, MASK_KEEP["mobile"])


MASKS = {"id_number": mask_id_number, "mobile": mask_mobile}


# Uploaded attachments (photos and documents): checked by extension AND by their first bytes, so a
# renamed file (an .exe called photo.jpg, a .doc called .docx) is refused.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024


def _starts_with(magic: bytes):
    return lambda head, file: head.startswith(magic)


def _office_zip(part: str):
    """DOCX and XLSX are ZIP archives; the part they must contain tells them apart."""

    def sniff(head, file):
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(file) as archive:
                return part in archive.namelist()
        except (zipfile.BadZipFile, OSError, EOFError):
            return False

    return sniff


# Extension: (content type served back, content check).
UPLOAD_TYPES = {
    "jpg": ("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "png": ("image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    "pdf": ("application/pdf", _starts_with(b"%PDF-")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _office_zip("word/document.xml"),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office_zip("xl/workbook.xml")),
}
_ALLOWED = "JPG、PNG、PDF、DOCX、XLSX"


def upload_extension(name: str) -> str:
    return PurePath(str(name or "")).suffix.lower().removeprefix(".")


def validate_upload(file) -> None:
    """A photo or document of an allowed type (extension and content agree), at most 10 MB."""
    extension = upload_extension(getattr(file, "name", ""))
    if extension not in UPLOAD_TYPES:
        shown = f"“.{extension}”" if extension else "（无扩展名）"
        raise ValidationError(f"不支持的文件类型{shown}，只能上传 {_ALLOWED} 文件。", code="upload_type")
    size = file.size
    if size > UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"文件大小 {size / (1024 * 1024):.1f} MB，"
            f"超过 {UPLOAD_MAX_BYTES // (1024 * 1024)} MB 的上限，请压缩后重新上传。",
            code="upload_size",
        )
    if size == 0:
        raise ValidationError("文件是空的。", code="upload_empty")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    matches = UPLOAD_TYPES[extension][1](head, file)
    file.seek(0)
    if not matches:
        raise ValidationError(
            f"文件内容与扩展名“.{extension}”不符（可能是改了扩展名的其他文件），请上传真实的 {_ALLOWED} 文件。",
            code="upload_content",
        )


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its Django 5.2 error message in Chinese (the zh-hans catalogue has only
    the older wording, so the message came out in English)."""

    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"
