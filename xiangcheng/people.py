"""Rules about a person that every register shares (the member roll, the cadre files, the talent
pool): sex, age, what a resident ID number says about its holder, and how a name is found (by its
characters, its pinyin or its initials). Each rule has its Python form, for one record, and where
a check reads whole tables its SQL form beside it."""

import re
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, IntegerField, Q
from django.db.models.lookups import Exact
from pypinyin import lazy_pinyin

from xiangcheng.search import text_index, text_search
from xiangcheng.validators import (
    DateDigits,
    id_birth_date,
    id_birth_digits_sql,
    id_number_shaped,
    id_sex,
    id_sex_sql,
    normalize_id_number,
    validate_id_number,
)

# Joining the party, or holding a rank, needs this age (the messages say 18 where they refuse it).
ADULT_AGE = 18
# The youngest age at which work may start (the Labour Law's minimum working age).
WORKING_AGE = 16


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


def account_name(user) -> str:
    """How an account is named to others (who logged a record, who changed it): the person's
    name as Chinese writes it, family name first; the login name only when none is given."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def years_between(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later` (a birthday on 29 February falls on 1 March)."""
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


class YearsBetween(Func):
    """`years_between(earlier, later)` in SQL: PostgreSQL's age() borrows a month when the day is
    short and a year when the month is, so its years are the whole years `years_between` counts,
    29 February included (tests/xiangcheng/test_consistency.py holds the two to it). Not
    `earlier + interval 'n years'`: that moves 29 February to 28 February, a day before the
    birthday `years_between` counts. Dates are read as timestamps without time zone, so the
    session's zone never shifts them."""

    arity = 2
    template = "EXTRACT(YEAR FROM AGE(%(expressions)s::timestamp))"
    arg_joiner = "::timestamp, "
    output_field = IntegerField()

    def __init__(self, earlier, later):
        super().__init__(later, earlier)


def is_adult(birth_date: date, on: date) -> bool:
    """Whether someone born on `birth_date` is ADULT_AGE or older on `on`."""
    return years_between(birth_date, on) >= ADULT_AGE


def id_number_disagrees(id_number: str = "id_number", birth_date: str = "birth_date", sex: str = "sex") -> Q:
    """Rows whose birth date or sex is not what their ID number says (`id_birth_date`, `id_sex`),
    among those whose ID number has the shape of one; a malformed number is a fault of its own,
    and a blank birth date says nothing against the number."""
    return id_number_shaped(id_number) & (
        ~Exact(id_birth_digits_sql(id_number), DateDigits(birth_date)) | ~Exact(F(sex), id_sex_sql(id_number))
    )


class IdentifiedByIdNumber:
    """For a model with `id_number`, `birth_date` and `sex` fields, where the ID number decides the
    other two. The ID number field carries `validate_id_number`, which reports a wrong number."""

    def fill_from_id_number(self) -> dict[str, str]:
        """Normalize the ID number; if it is valid, set the birth date from it, and the sex where it
        is blank. Returns the errors by field: a sex the number contradicts. An invalid number
        changes nothing else and adds no error of its own (its validator says it, once)."""
        self.id_number = normalize_id_number(self.id_number)
        try:
            validate_id_number(self.id_number)
        except ValidationError:
            return {}
        self.birth_date = id_birth_date(self.id_number)
        derived = id_sex(self.id_number)
        if not self.sex:
            self.sex = derived
        elif self.sex != derived:
            return {"sex": f"性别与身份证号不符：身份证号显示为{Sex(derived).label}。"}
        return {}

    def validate_constraints(self, exclude=None):
        # A blank sex is filled from the ID number in clean(); still blank means the ID number
        # was invalid, which its own message already says.
        if not self.sex:
            exclude = {*(exclude or ()), "sex"}
        super().validate_constraints(exclude)


# --- Finding a person by name: characters, full pinyin, initials ---------------------------------

# Surnames read otherwise than the same character in running text (pypinyin reads 单 dan, 曾 ceng:
# it has no surname mode, python-pinyin issue #297). Only where its reading is wrong; compound
# surnames (万俟 moqi, 尉迟 yuchi, 单于 chanyu, 长孙 zhangsun) it reads right already.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "乐": "yue",
    "缪": "miao",
    "翟": "zhai",
    "盖": "ge",
    "覃": "qin",
    "秘": "bi",
    "重": "chong",
    "种": "chong",
    "繁": "po",
    "折": "she",
    "佴": "nai",
    "粘": "nian",
    "藏": "zang",
    "扎": "za",
    "都": "du",
    "六": "lu",
    "薄": "bo",
    "阚": "kan",
    "卜": "bu",
    "乜": "nie",
    "贠": "yun",
    "員": "yun",
    "员": "yun",
    "隗": "wei",
    "句": "gou",
    "召": "shao",
    "祭": "zhai",
    "宓": "fu",
    "颉": "xie",
    "洗": "xian",
    "能": "nai",
    "黑": "he",
    "长": "chang",
}
COMPOUND_SURNAMES = ("万俟", "尉迟", "单于", "长孙", "澹台", "鲜于", "令狐", "欧阳", "司马", "上官", "诸葛", "东方")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
# A term typed in pinyin: letters, ü written as ü, v or u:, spaces anywhere ("zhang san", "lü").
PINYIN_TERM = re.compile(r"[a-zü:v ]+")


def _words(text: str) -> list[str]:
    # What is not Chinese (a foreign name, digits) is kept as its lowercase words, punctuation dropped.
    return re.findall(r"[a-z0-9]+", text.lower())


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lowercase, without spaces, ü written v: 张三 is
    ("zhangsan", "zs"), 吕梁 ("lvliang", "ll"), 单田芳 ("shantianfang", "stf"). The surname is read
    as a surname (SURNAME_READINGS); a foreign name keeps its words ("John Smith": "johnsmith",
    "js")."""
    name = name.strip()
    syllables: list[str] = []
    rest = name
    if name[:2] in COMPOUND_SURNAMES:
        syllables, rest = lazy_pinyin(name[:2]), name[2:]
    elif name[:1] in SURNAME_READINGS:
        syllables, rest = [SURNAME_READINGS[name[0]]], name[1:]
    syllables += lazy_pinyin(rest, errors=_words)
    syllables = [syllable.lower() for syllable in syllables if syllable.strip()]
    return "".join(syllables), "".join(syllable[0] for syllable in syllables)


class PinyinNamed(models.Model):
    """A person found by name: the name's full pinyin and initials are stored beside it
    (`name_pinyin`), filled by `save()`, by `fill_name_pinyin` for bulk writes (seeds, imports)
    and by the migration that added them; `person_search` is the one search over them."""

    # Up to six letters a character (zhuang) for a name of 50 characters.
    name_pinyin = models.CharField("姓名拼音", max_length=300, blank=True, editable=False)
    name_initials = models.CharField("姓名首字母", max_length=50, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Derived from the name whatever path saved the row (forms, imports, services, seeds).
        self.fill_name_pinyin()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)

    def fill_name_pinyin(self) -> None:
        self.name_pinyin, self.name_initials = name_pinyin(self.name or "")


def fill_name_pinyin(rows):
    """Fill the pinyin columns of rows about to be written in bulk (`bulk_create`, `bulk_update`,
    which call no `save()`); returns them."""
    rows = list(rows)
    for row in rows:
        row.fill_name_pinyin()
    return rows


def person_name_indexes(prefix: str) -> list:
    """The indexes `person_search` uses, for a model's `Meta.indexes` (`prefix`: app_model)."""
    return [
        # Serves person_search by characters: names containing each character of the term.
        text_index("name", f"{prefix}_name_chars"),
        # Serve person_search by pinyin and by initials: prefix matches (LIKE 'zhangs%').
        models.Index(fields=["name_pinyin"], opclasses=["varchar_pattern_ops"], name=f"{prefix}_pinyin"),
        models.Index(fields=["name_initials"], opclasses=["varchar_pattern_ops"], name=f"{prefix}_initials"),
    ]


def person_search(term: str) -> Q | None:
    """The persons (`PinyinNamed`) a search term names, or None when it is no name: Chinese finds
    the names that contain it (张三, 三); letters find the names whose full pinyin or initials start
    with them, spaces and case aside, ü typed as ü, v or u: (zhangsan, "zhang san", zs, ZS, lv, lü),
    and a foreign name by its words (smith). Every branch is served by `person_name_indexes`."""
    words = term.split()
    joined = "".join(words)
    if not joined:
        return None
    if HAN.search(joined):
        return text_search("name", joined)
    letters = joined.lower()
    if not PINYIN_TERM.fullmatch(letters):
        return None
    letters = letters.replace("u:", "v").replace("ü", "v")
    if ":" in letters:
        return None
    return (
        Q(name_pinyin__startswith=letters) | Q(name_initials__startswith=letters) | text_search("name", " ".join(words))
    )


def backfill_name_pinyin(app_label: str, model_name: str):
    """A migration's RunPython that fills the pinyin columns of a model's existing rows: each
    distinct name read once, the table written by one `UPDATE … FROM unnest(…)`."""

    def backfill(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        names = list(model._base_manager.order_by().values_list("name", flat=True).distinct())
        if not names:
            return
        readings = [name_pinyin(name) for name in names]
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{model._meta.db_table}" AS person '
                "SET name_pinyin = reading.pinyin, name_initials = reading.initials "
                "FROM unnest(%s::text[], %s::text[], %s::text[]) AS reading(name, pinyin, initials) "
                "WHERE person.name = reading.name",
                [names, [pinyin for pinyin, _ in readings], [initials for _, initials in readings]],
            )

    return backfill
