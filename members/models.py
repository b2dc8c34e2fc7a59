from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from xiangcheng.audit import audited
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import (
    id_birth_date,
    id_sex,
    normalize_id_number,
    normalize_mobile,
    validate_id_number,
    validate_mobile,
)


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class MemberQuerySet(ScopedQuerySet):
    def on_roll(self, on: date):
        """Members on the roll on `on`: joined by then and not yet transferred out, suspended or dead."""
        return self.filter(Q(joined_on__isnull=True) | Q(joined_on__lte=on)).filter(
            Q(status=Member.Status.ON_ROLL) | Q(status_on__gt=on)
        )

    def on_roll_during(self, start: date, end: date):
        """Members on the roll on any day of [start, end]."""
        return self.filter(Q(joined_on__isnull=True) | Q(joined_on__lte=end)).filter(
            Q(status=Member.Status.ON_ROLL) | Q(status_on__gte=start)
        )

    def leading_cadres(self, on: date):
        return self.filter(leading_cadre_since__lte=on)

    def agency_members(self, on: date):
        return self.filter(agency_member_since__lte=on)

    def with_organization_on(self, on: date):
        """Annotate `organization_on`: the organization each member belonged to on `on`.

        The latest transfer on or before `on` says where the member went; failing that, the
        earliest transfer after `on` says where they came from; failing both, where they are now.
        """
        moves = MemberTransfer.objects.filter(member=OuterRef("pk"))
        arrived = moves.filter(transferred_on__lte=on).order_by("-transferred_on", "-pk").values("to_organization")
        left = moves.filter(transferred_on__gt=on).order_by("transferred_on", "pk").values("from_organization")
        return self.annotate(organization_on=Coalesce(Subquery(arrived[:1]), Subquery(left[:1]), F("organization")))


@audited()
class Member(models.Model):
    """A party member on the district's roll."""

    class Status(models.TextChoices):
        ON_ROLL = "on_roll", "在册"
        TRANSFERRED_OUT = "transferred_out", "转出"
        SUSPENDED = "suspended", "停止党籍"
        DECEASED = "deceased", "去世"

    class Category(models.TextChoices):
        FULL = "full", "正式党员"
        PROBATIONARY = "probationary", "预备党员"

    class Education(models.TextChoices):
        PRIMARY = "primary", "小学及以下"
        JUNIOR = "junior", "初中"
        SENIOR = "senior", "高中/中专"
        COLLEGE = "college", "大专"
        BACHELOR = "bachelor", "本科"
        MASTER = "master", "硕士研究生"
        DOCTOR = "doctor", "博士研究生"

    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=10, choices=Sex.choices, blank=True, help_text="留空则按身份证号填写。")
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    id_number = models.CharField(
        "身份证号",
        max_length=18,
        unique=True,
        validators=[validate_id_number],
        error_messages={"unique": "该身份证号的党员已在册，不能重复登记。"},
    )
    birth_date = models.DateField("出生日期", editable=False)
    mobile = models.CharField("手机号", max_length=20, blank=True, validators=[validate_mobile])
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="members", verbose_name="所在党组织"
    )
    joined_on = models.DateField("入党日期", null=True, blank=True)
    category = models.CharField("党员类别", max_length=20, choices=Category.choices, default=Category.FULL)
    leading_cadre_since = models.DateField(
        "科级以上党员领导干部（起始日期）",
        null=True,
        blank=True,
        help_text="成为科级以上党员领导干部的日期；不是则留空。",
    )
    agency_member_since = models.DateField(
        "机关党员（起始日期）", null=True, blank=True, help_text="成为机关党员的日期；不是则留空。"
    )
    status = models.CharField("党籍状态", max_length=20, choices=Status.choices, default=Status.ON_ROLL)
    status_on = models.DateField("状态变更日期", null=True, blank=True, help_text="转出、停止党籍或去世的日期。")

    objects = MemberQuerySet.as_manager()

    scope_path = "organization__path"
    natural_key_field = "id_number"
    personal_fields = {"id_number": "id_number", "mobile": "mobile"}

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["organization__path", "name"]
        indexes = [
            models.Index(fields=["organization", "name"], name="members_member_org_name"),
            models.Index(fields=["leading_cadre_since"], name="members_member_leading"),
            models.Index(fields=["agency_member_since"], name="members_member_agency"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sex__in=["male", "female"]),
                name="%(app_label)s_%(class)s_sex_valid",
                violation_error_message="性别无效。",
            ),
            models.CheckConstraint(
                condition=Q(status="on_roll", status_on__isnull=True)
                | (~Q(status="on_roll") & Q(status_on__isnull=False)),
                name="%(app_label)s_%(class)s_status_dated",
                violation_error_message="转出、停止党籍或去世须填写状态变更日期；在册党员不填。",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Birth date follows the ID number whatever path saved the row (forms, imports, seeds).
        if self.id_number and not self.birth_date:
            self.birth_date = id_birth_date(self.id_number)
        if self.id_number and not self.sex:
            self.sex = id_sex(self.id_number)
        super().save(*args, **kwargs)

    def clean(self):
        self.id_number = normalize_id_number(self.id_number)
        self.mobile = normalize_mobile(self.mobile)
        errors = {}
        try:
            validate_id_number(self.id_number)
        except ValidationError as error:
            errors["id_number"] = error.messages
        else:
            self.birth_date = id_birth_date(self.id_number)
            derived = id_sex(self.id_number)
            if not self.sex:
                self.sex = derived
            elif self.sex != derived:
                errors["sex"] = f"性别与身份证号不符：身份证号显示为{Sex(derived).label}。"
            if self.joined_on and self.joined_on < self.birth_date.replace(year=self.birth_date.year + 18):
                errors["joined_on"] = "入党日期早于年满 18 周岁，请核对。"
        if self.status == self.Status.ON_ROLL:
            if self.status_on:
                errors["status_on"] = "在册党员不填状态变更日期。"
        elif not self.status_on:
            errors["status_on"] = "转出、停止党籍或去世须填写状态变更日期。"
        if errors:
            raise ValidationError(errors)

    def household_quota(self, on: date) -> int:
        """Hardship households this member must help in `on`'s year, by their role on `on`."""
        if self.leading_cadre_since and self.leading_cadre_since <= on:
            return 2
        if self.agency_member_since and self.agency_member_since <= on:
            return 1
        return 0


@audited()
class MemberTransfer(models.Model):
    """A dated move of a member between organizations of the district."""

    member = models.ForeignKey(Member, models.CASCADE, related_name="transfers", verbose_name="党员")
    transferred_on = models.DateField("转接日期")
    from_organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="+", verbose_name="转出组织"
    )
    to_organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="+", verbose_name="转入组织"
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "member__organization__path"

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["member", "transferred_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_organization=F("to_organization")),
                name="%(app_label)s_%(class)s_moves",
                violation_error_message="转入组织不能与转出组织相同。",
            ),
        ]

    def __str__(self):
        return f"{self.member}：{self.from_organization} → {self.to_organization}"


@audited()
class MemberRecognition(models.Model):
    """A dated exemplary deed (先进事迹) or honour of a member."""

    class Kind(models.TextChoices):
        DEED = "deed", "先进事迹"
        HONOUR = "honour", "荣誉"

    member = models.ForeignKey(Member, models.CASCADE, related_name="recognitions", verbose_name="党员")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    dated_on = models.DateField("日期")
    description = models.TextField("内容", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "member__organization__path"

    class Meta:
        verbose_name = "先进事迹与荣誉"
        verbose_name_plural = "先进事迹与荣誉"
        ordering = ["-dated_on"]

    def __str__(self):
        return self.title
