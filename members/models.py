from datetime import date

import pgtrigger
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from members.querysets import (
    AGENCY_MEMBER_QUOTA,
    LEADING_CADRE_QUOTA,
    HouseholdQuerySet,
    MemberQuerySet,
    PairingQuerySet,
    PledgeQuerySet,
    held_on,
)
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint, date_order_constraint
from xiangcheng.people import IdentifiedByIdNumber, PinyinNamed, Sex, is_adult, person_name_indexes
from xiangcheng.periods import FIRST_YEAR, LAST_YEAR
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.search import text_index
from xiangcheng.validators import (
    normalize_id_number,
    normalize_mobile,
    not_after_today,
    plausible_year,
    this_year,
    validate_id_number,
    validate_mobile,
)

# Choices live at module level, each model keeping its name for them (Member.Status), because
# a model's Meta cannot see the classes nested in its body, and its constraints need them.


class MemberStatus(models.TextChoices):
    ON_ROLL = "on_roll", "在册"
    TRANSFERRED_OUT = "transferred_out", "转出"
    SUSPENDED = "suspended", "停止党籍"
    DECEASED = "deceased", "去世"


class MemberCategory(models.TextChoices):
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


class PartyPost(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY = "deputy", "副书记"
    COMMITTEE = "committee", "委员"


@audited()
class Member(IdentifiedByIdNumber, PinyinNamed):
    """A party member on the district's roll."""

    Status = MemberStatus
    Category = MemberCategory
    Education = Education
    PartyPost = PartyPost

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
    joined_on = models.DateField("入党日期", null=True, blank=True, validators=[not_after_today])
    category = models.CharField("党员类别", max_length=20, choices=Category.choices, default=Category.FULL)
    leading_cadre_since = models.DateField(
        "科级以上党员领导干部（起始日期）",
        null=True,
        blank=True,
        help_text="成为科级以上党员领导干部的日期；不是则留空。",
        validators=[not_after_today],
    )
    agency_member_since = models.DateField(
        "机关党员（起始日期）",
        null=True,
        blank=True,
        help_text="成为机关党员的日期；不是则留空。",
        validators=[not_after_today],
    )
    party_post = models.CharField(
        "党内职务", max_length=20, choices=PartyPost.choices, blank=True, help_text="在所在党组织中担任的职务。"
    )
    status = models.CharField("党籍状态", max_length=20, choices=Status.choices, default=Status.ON_ROLL)
    status_on = models.DateField(
        "状态变更日期",
        null=True,
        blank=True,
        help_text="转出、停止党籍或去世的日期。",
        validators=[not_after_today],
    )

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
            *person_name_indexes("members_member"),
        ]
        constraints = [
            # Never blank in the database: clean() fills it from the ID number.
            choices_constraint("sex", Sex, "性别"),
            choices_constraint("education", Education, "学历", allow_blank=True),
            choices_constraint("category", MemberCategory, "党员类别"),
            choices_constraint("party_post", PartyPost, "党内职务", allow_blank=True),
            choices_constraint("status", MemberStatus, "党籍状态"),
            models.CheckConstraint(
                condition=Q(status="on_roll", status_on__isnull=True)
                | (~Q(status="on_roll") & Q(status_on__isnull=False)),
                name="%(app_label)s_%(class)s_status_dated",
                violation_error_message="转出、停止党籍或去世须填写状态变更日期；在册党员不填。",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.mobile = normalize_mobile(self.mobile)
        errors = self.fill_from_id_number()
        if self.joined_on and self.birth_date and not is_adult(self.birth_date, self.joined_on):
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
            return LEADING_CADRE_QUOTA
        if self.agency_member_since and self.agency_member_since <= on:
            return AGENCY_MEMBER_QUOTA
        return 0


# The roster's columns, in the order the roster form, its file and its import show them.
ROSTER_FIELDS = [
    "name",
    "sex",
    "ethnicity",
    "id_number",
    "birth_date",
    "mobile",
    "education",
    "organization",
    "joined_on",
    "category",
    "party_post",
    "leading_cadre_since",
    "agency_member_since",
    "status",
    "status_on",
]


@audited()
class MemberTransfer(models.Model):
    """A dated move of a member between organizations of the district."""

    member = models.ForeignKey(Member, models.CASCADE, related_name="transfers", verbose_name="党员")
    transferred_on = models.DateField("转接日期", validators=[not_after_today])
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
        indexes = [
            # The members_membership view reads each member's transfers in this order.
            models.Index(fields=["member", "transferred_on", "id"], name="members_transfer_member_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_organization=F("to_organization")),
                name="%(app_label)s_%(class)s_moves",
                violation_error_message="转入组织不能与转出组织相同。",
            ),
        ]

    def __str__(self):
        return f"{self.member}：{self.from_organization} → {self.to_organization}"


class MembershipQuerySet(ScopedQuerySet):
    def on(self, day: date):
        """The one membership of each member that holds on `day`."""
        return self.filter(held_on(day))


class Membership(models.Model):
    """Where a member belonged, and from when until when: the transfers read as periods.

    A database view (migration 0005), so "the organization of every member on a day" is one join
    instead of a lookup per member, and the one statement of the rule: the latest transfer on or
    before the day says where the member went; failing that, the earliest transfer after the day
    says where they came from; failing both, where they are now. Read it with `held_on(day)`
    (members/querysets.py) or `Membership.objects.on(day)`.
    """

    id = models.CharField(primary_key=True, max_length=30, editable=False)
    member = models.ForeignKey(
        Member, models.DO_NOTHING, related_name="memberships", db_constraint=False, verbose_name="党员"
    )
    organization = models.ForeignKey(
        "branches.Organization", models.DO_NOTHING, related_name="+", db_constraint=False, verbose_name="党组织"
    )
    # `until` is the first day no longer in the organization. Open ends are stored as PostgreSQL's
    # -infinity and infinity, which Python's date cannot hold: filter on these, never load them.
    since = models.DateField("起始日期")
    until = models.DateField("截止日期")

    objects = MembershipQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        managed = False
        db_table = "members_membership"
        verbose_name = "组织关系期间"
        verbose_name_plural = "组织关系期间"
        default_permissions = ()

    def __str__(self):
        return self.pk


class RecognitionKind(models.TextChoices):
    DEED = "deed", "先进事迹"
    HONOUR = "honour", "荣誉"


@audited()
class MemberRecognition(models.Model):
    """A dated exemplary deed (先进事迹) or honour of a member."""

    Kind = RecognitionKind

    member = models.ForeignKey(Member, models.CASCADE, related_name="recognitions", verbose_name="党员")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    dated_on = models.DateField("日期", validators=[not_after_today])
    description = models.TextField("内容", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "member__organization__path"

    class Meta:
        verbose_name = "先进事迹与荣誉"
        verbose_name_plural = "先进事迹与荣誉"
        ordering = ["-dated_on"]
        constraints = [choices_constraint("kind", RecognitionKind, "类别")]

    def __str__(self):
        return self.title


@audited()
class Pledge(models.Model):
    """A member's 先锋"365" pledge for one year, with its quantified commitments.

    What is done is never typed in: it is counted from the fulfilment records (enterprise and
    talent service) and from the member's pairings and visits (poverty relief).
    """

    LINES = {
        "enterprise": ("企业服务", ["enterprise_need", "enterprise_problem", "enterprise_policy"]),
        "talent": ("人才服务", ["talent_contact", "talent_difficulty", "talent_project"]),
        "relief": ("结对帮扶", ["households"]),
    }

    member = models.ForeignKey(Member, models.CASCADE, related_name="pledges", verbose_name="党员")
    year = models.PositiveSmallIntegerField("年度", default=this_year, validators=[plausible_year])
    pledged_on = models.DateField("承诺日期", default=timezone.localdate)
    enterprise_need = models.PositiveSmallIntegerField("承诺发现企业需求（项）", default=1)
    enterprise_problem = models.PositiveSmallIntegerField("承诺解决实际问题（个）", default=1)
    enterprise_policy = models.PositiveSmallIntegerField("承诺争取政策支持（项）", default=1)
    talent_contact = models.PositiveSmallIntegerField("承诺联系人才（名）", default=1)
    talent_difficulty = models.PositiveSmallIntegerField("承诺解决人才困难（个）", default=1)
    talent_project = models.PositiveSmallIntegerField("承诺助推项目落地（个）", default=1)
    households = models.PositiveSmallIntegerField(
        "承诺结对帮扶困难家庭（户）",
        default=0,
        help_text="科级以上党员领导干部每年至少 2 户，机关党员至少 1 户。",
    )
    content = models.TextField("承诺内容", blank=True)

    objects = PledgeQuerySet.as_manager()
    scope_path = "member__organization__path"

    class Meta:
        verbose_name = "365承诺"
        verbose_name_plural = "365承诺"
        ordering = ["-year", "member__organization__path", "member__name"]
        indexes = [
            # Serves the pledge list's order (the newest year, the newest pledges first): its first
            # page reads a hundred index entries instead of sorting every pledge by its member.
            models.Index(fields=["year", "id"], name="members_pledge_year_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year"],
                name="%(app_label)s_%(class)s_one_per_year",
                violation_error_message="该党员本年度已有承诺。",
            ),
            models.CheckConstraint(
                condition=Q(enterprise_need__gte=1)
                & Q(enterprise_problem__gte=1)
                & Q(enterprise_policy__gte=1)
                & Q(talent_contact__gte=1)
                & Q(talent_difficulty__gte=1)
                & Q(talent_project__gte=1),
                name="%(app_label)s_%(class)s_minimums",
                violation_error_message="企业服务和人才服务的每项承诺至少为 1。",
            ),
        ]
        triggers = [
            # A deleted pledge's progress row goes with it (PledgeProgress).
            pgtrigger.Trigger(
                name="progress_delete",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Delete,
                referencing=pgtrigger.Referencing(old="old_rows"),
                func="DELETE FROM members_pledgeprogress WHERE pledge_id IN (SELECT id FROM old_rows); RETURN NULL;",
            )
        ]

    def __str__(self):
        return f"{self.member} {self.year}年承诺"

    def clean(self):
        errors = {}
        if self.pledged_on and self.year and self.pledged_on.year != self.year:
            errors["pledged_on"] = "承诺日期应在承诺年度内。"
        # A year its own field refused (10000) is judged no further.
        if self.member_id and self.year and FIRST_YEAR <= self.year <= LAST_YEAR:
            quota = self.member.household_quota(date(self.year, 12, 31))
            if self.households < quota:
                errors["households"] = f"该党员每年至少结对帮扶 {quota} 户困难家庭。"
        if errors:
            raise ValidationError(errors)

    def line_status(self) -> dict[str, bool]:
        """Per line, whether it is fulfilled; needs the annotations of `with_progress()`."""
        return {
            line: all(getattr(self, f"done_{item}") >= getattr(self, item) for item in items)
            for line, (_, items) in self.LINES.items()
        }


class FulfilmentKind(models.TextChoices):
    ENTERPRISE_NEED = "enterprise_need", "发现企业需求"
    ENTERPRISE_PROBLEM = "enterprise_problem", "解决企业实际问题"
    ENTERPRISE_POLICY = "enterprise_policy", "争取政策支持"
    TALENT_CONTACT = "talent_contact", "联系人才"
    TALENT_DIFFICULTY = "talent_difficulty", "解决人才实际困难"
    TALENT_PROJECT = "talent_project", "助推人才项目落地"


def _recount_progress(touched: str) -> str:
    """The body of a statement trigger that counts again the fulfilments of the pledges `touched`
    (an SQL query of pledge ids) into PledgeProgress, set-based: one statement per statement."""
    kinds = FulfilmentKind.values
    counts = ", ".join(f"COUNT(f.id) FILTER (WHERE f.kind = '{kind}')" for kind in kinds)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in [*kinds, "last_done_on"])
    return f"""
        INSERT INTO members_pledgeprogress (pledge_id, {", ".join(kinds)}, last_done_on)
        SELECT p.id, {counts}, MAX(f.done_on)
        FROM members_pledge p LEFT JOIN members_fulfilment f ON f.pledge_id = p.id
        WHERE p.id IN ({touched})
        GROUP BY p.id
        ON CONFLICT (pledge_id) DO UPDATE SET {updates};
        RETURN NULL;
    """


class PledgeProgress(models.Model):
    """How far a pledge has come: its fulfilment records counted by kind, and the day of the
    latest. Derived data that the database keeps (triggers on the fulfilments recount the pledges
    each statement touched; a pledge's row goes with it), so counting the completion of every
    pledge reads a row per pledge instead of grouping every record. The portal never writes it;
    the records it counts are audited, it is not. Exact for counts up to any day on or after
    `last_done_on` (`PledgeQuerySet.with_progress`)."""

    pledge = models.OneToOneField(
        "Pledge",
        models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="progress",
        verbose_name="承诺",
    )
    enterprise_need = models.PositiveIntegerField("发现企业需求", default=0)
    enterprise_problem = models.PositiveIntegerField("解决企业实际问题", default=0)
    enterprise_policy = models.PositiveIntegerField("争取政策支持", default=0)
    talent_contact = models.PositiveIntegerField("联系人才", default=0)
    talent_difficulty = models.PositiveIntegerField("解决人才实际困难", default=0)
    talent_project = models.PositiveIntegerField("助推人才项目落地", default=0)
    last_done_on = models.DateField("最近履诺日期", null=True)

    class Meta:
        verbose_name = "承诺进度"
        verbose_name_plural = "承诺进度"
        default_permissions = ()

    def __str__(self):
        return f"{self.pledge_id}"


@audited()
class Fulfilment(models.Model):
    """A dated record of something a member did towards their pledge, with its evidence."""

    Kind = FulfilmentKind

    ENTERPRISE_KINDS = {Kind.ENTERPRISE_NEED, Kind.ENTERPRISE_PROBLEM, Kind.ENTERPRISE_POLICY}

    pledge = models.ForeignKey(Pledge, models.CASCADE, related_name="fulfilments", verbose_name="承诺")
    kind = models.CharField("履诺类别", max_length=30, choices=Kind.choices)
    done_on = models.DateField("日期", default=timezone.localdate, validators=[not_after_today])
    enterprise = models.CharField("服务企业", max_length=200, blank=True)
    talent = models.ForeignKey(
        "talent.Talent", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="服务人才"
    )
    support_request = models.ForeignKey(
        "talent.SupportRequest", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="人才诉求"
    )
    project = models.ForeignKey(
        "talent.TalentProject", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="人才项目"
    )
    action = models.TextField("做了什么")
    outcome = models.TextField("成效", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "pledge__member__organization__path"

    class Meta:
        verbose_name = "履诺记录"
        verbose_name_plural = "履诺记录"
        ordering = ["-done_on"]
        indexes = [
            models.Index(fields=["pledge", "kind"], name="members_fulfilment_pledge_kind"),
            # Serves the fulfilment list's order (newest first, then -pk): its first page reads a
            # hundred index entries instead of sorting every record.
            models.Index(fields=["done_on", "id"], name="members_fulfilment_done_on"),
            # Serve the fulfilment list's search (admin text_search_fields).
            text_index("enterprise", "members_fulfilment_ent_chars"),
            text_index("action", "members_fulfilment_act_chars"),
        ]
        constraints = [choices_constraint("kind", FulfilmentKind, "履诺类别")]
        # Each statement that writes fulfilments recounts the pledges it touched (PledgeProgress).
        triggers = [
            pgtrigger.Trigger(
                name=f"progress_{operation}",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=getattr(pgtrigger, operation.capitalize()),
                referencing=pgtrigger.Referencing(**tables),
                func=_recount_progress(touched),
            )
            for operation, tables, touched in [
                ("insert", {"new": "new_rows"}, "SELECT pledge_id FROM new_rows"),
                (
                    "update",
                    {"old": "old_rows", "new": "new_rows"},
                    "SELECT pledge_id FROM old_rows UNION SELECT pledge_id FROM new_rows",
                ),
                ("delete", {"old": "old_rows"}, "SELECT pledge_id FROM old_rows"),
            ]
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.done_on:%Y-%m-%d}）"

    def clean(self):
        errors = {}
        if self.pledge_id and self.done_on and self.done_on.year != self.pledge.year:
            errors["done_on"] = f"日期应在承诺年度（{self.pledge.year}年）内。"
        if self.kind in self.ENTERPRISE_KINDS:
            if not self.enterprise.strip():
                errors["enterprise"] = "企业服务须填写服务的企业。"
        elif self.kind:
            if not self.talent_id:
                errors["talent"] = "人才服务须选择服务的人才（人才库中的人才）。"
            if self.kind == self.Kind.TALENT_DIFFICULTY:
                if not self.support_request_id:
                    errors["support_request"] = "解决人才困难须选择该人才的诉求。"
                elif self.talent_id and self.support_request.talent_id != self.talent_id:
                    errors["support_request"] = "所选诉求不是该人才提出的。"
            if self.kind == self.Kind.TALENT_PROJECT:
                if not self.project_id:
                    errors["project"] = "助推项目落地须选择人才项目。"
                elif self.talent_id and not self.project.talents.filter(pk=self.talent_id).exists():
                    errors["project"] = "所选项目不属于该人才。"
        if errors:
            raise ValidationError(errors)


class Hardship(models.TextChoices):
    ILLNESS = "illness", "因病"
    DISABILITY = "disability", "因残"
    EDUCATION = "education", "因学"
    DISASTER = "disaster", "因灾"
    LABOUR = "labour", "缺劳力"
    OTHER = "other", "其他"


class HouseholdStatus(models.TextChoices):
    BEING_HELPED = "being_helped", "帮扶中"
    LIFTED_OUT = "lifted_out", "已脱困"


@audited()
class Household(models.Model):
    """A hardship household (困难家庭) the district helps."""

    Hardship = Hardship
    Status = HouseholdStatus

    head = models.CharField("户主姓名", max_length=50)
    head_id_number = models.CharField("户主身份证号", max_length=18, blank=True, validators=[validate_id_number])
    address = models.CharField("住址", max_length=200)
    organization = models.ForeignKey(
        "branches.Organization",
        models.PROTECT,
        related_name="households",
        verbose_name="所在村（社区）党组织",
        help_text="户籍所在村（社区）的党组织，决定所属镇（街道）。",
    )
    village = models.CharField("村（社区）", max_length=100)
    hardship = models.CharField("困难类型", max_length=20, choices=Hardship.choices)
    size = models.PositiveSmallIntegerField("家庭人口", default=1, validators=[MinValueValidator(1)])
    contact = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_mobile])
    registered_on = models.DateField("建档日期", default=timezone.localdate, validators=[not_after_today])
    status = models.CharField("帮扶状态", max_length=20, choices=Status.choices, default=Status.BEING_HELPED)
    status_on = models.DateField("脱困日期", null=True, blank=True, validators=[not_after_today])

    objects = HouseholdQuerySet.as_manager()
    scope_path = "organization__path"
    personal_fields = {"head_id_number": "id_number", "contact": "mobile"}

    class Meta:
        verbose_name = "困难家庭"
        verbose_name_plural = "困难家庭"
        ordering = ["organization__path", "village", "head"]
        indexes = [
            # Serves the visit list's search by the household head (admin text_search_fields).
            text_index("head", "members_household_head_chars"),
        ]
        constraints = [
            choices_constraint("hardship", Hardship, "困难类型"),
            choices_constraint("status", HouseholdStatus, "帮扶状态"),
            models.CheckConstraint(
                condition=Q(status="being_helped", status_on__isnull=True)
                | Q(status="lifted_out", status_on__isnull=False),
                name="%(app_label)s_%(class)s_status_dated",
                violation_error_message="已脱困的家庭须填写脱困日期；帮扶中的不填。",
            ),
        ]

    def __str__(self):
        return f"{self.head}（{self.village}）"

    def clean(self):
        self.head_id_number = normalize_id_number(self.head_id_number)
        self.contact = normalize_mobile(self.contact)
        if self.status == self.Status.LIFTED_OUT and not self.status_on:
            raise ValidationError({"status_on": "已脱困的家庭须填写脱困日期。"})
        if self.status == self.Status.BEING_HELPED and self.status_on:
            raise ValidationError({"status_on": "帮扶中的家庭不填脱困日期。"})
        if self.status_on and self.registered_on and self.status_on < self.registered_on:
            raise ValidationError({"status_on": "脱困日期不能早于建档日期。"})


@audited()
class Pairing(models.Model):
    """A member paired with a hardship household for one year."""

    member = models.ForeignKey(Member, models.CASCADE, related_name="pairings", verbose_name="党员")
    household = models.ForeignKey(Household, models.CASCADE, related_name="pairings", verbose_name="困难家庭")
    year = models.PositiveSmallIntegerField("年度", default=this_year, validators=[plausible_year])

    objects = PairingQuerySet.as_manager()
    scope_path = "member__organization__path"

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        ordering = ["-year", "member__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household", "year"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="该党员本年度已与这户家庭结对。",
            ),
        ]
        indexes = [models.Index(fields=["year", "household"], name="members_pairing_year_household")]

    def __str__(self):
        return f"{self.member} ↔ {self.household.head}（{self.year}年）"


@audited()
class Visit(models.Model):
    """A dated visit of a paired member to their household."""

    pairing = models.ForeignKey(Pairing, models.CASCADE, related_name="visits", verbose_name="结对")
    visited_on = models.DateField("走访日期", default=timezone.localdate, validators=[not_after_today])
    action = models.TextField("帮扶内容", help_text="这次做了什么，例如送药、助学、就业推荐。")

    objects = ScopedQuerySet.as_manager()
    scope_path = "pairing__member__organization__path"

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on"]
        indexes = [
            models.Index(fields=["pairing", "visited_on"], name="members_visit_pairing_date"),
            # Serves the visit list's order (newest first, then -pk): its first page reads a
            # hundred index entries instead of sorting every visit.
            models.Index(fields=["visited_on", "id"], name="members_visit_visited_on"),
            # Serves the visit list's search (admin text_search_fields).
            text_index("action", "members_visit_action_chars"),
        ]

    def __str__(self):
        return f"{self.pairing} {self.visited_on:%Y-%m-%d}"

    def clean(self):
        if self.pairing_id and self.visited_on and self.visited_on.year != self.pairing.year:
            raise ValidationError({"visited_on": f"走访日期应在结对年度（{self.pairing.year}年）内。"})


class CheckStandard(models.TextChoices):
    HEALTH_CHECK = "health_check", "党建体检"
    VENUE = "venue", "阵地标准"


@audited()
class CheckItem(models.Model):
    """An item of a standard that is checked item by item, from the list staff edit: the
    party-building health check (党建体检, each item scored against its full marks) or the
    standard of the party-mass service venues (阵地标准, each item met or not, as its criterion
    says). One list for both standards, told apart by `standard`."""

    Standard = CheckStandard

    standard = models.CharField("所属标准", max_length=20, choices=Standard.choices, default=Standard.HEALTH_CHECK)
    name = models.CharField(
        "项目名称", max_length=100, unique=True, error_messages={"unique": "已有同名的检查项目，项目名称不能重复。"}
    )
    criterion = models.TextField("评判标准", blank=True, help_text="怎样判定达标：检查时逐项对照。")
    max_score = models.PositiveSmallIntegerField(
        "满分", default=10, help_text="党建体检按分评判；阵地标准只判达标与否，不计分。"
    )
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True, help_text="停用的项目不再用于新的检查，已有结果保留。")

    natural_key_field = "name"

    class Meta:
        verbose_name = "检查项目"
        verbose_name_plural = "检查项目"
        ordering = ["standard", "sort_order", "name"]
        constraints = [choices_constraint("standard", CheckStandard, "所属标准")]

    def __str__(self):
        return self.name


class HealthCheckResult(models.TextChoices):
    GOOD = "good", "健康"
    FAIR = "fair", "亚健康"
    POOR = "poor", "需整改"


@audited()
class HealthCheck(models.Model):
    """A party-building health check of one organization for a period."""

    Result = HealthCheckResult

    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="health_checks", verbose_name="党组织"
    )
    period_start = models.DateField("体检期间（起）")
    period_end = models.DateField("体检期间（止）")
    checked_on = models.DateField("体检日期")
    checker = models.CharField("体检人", max_length=100)
    result = models.CharField("结论", max_length=10, choices=Result.choices)
    remarks = models.TextField("问题与整改要求", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "党建体检"
        verbose_name_plural = "党建体检"
        ordering = ["-period_end", "organization__path"]
        constraints = [
            choices_constraint("result", HealthCheckResult, "结论"),
            date_order_constraint("period_start", "period_end", "体检期间的结束日期不能早于开始日期。"),
        ]

    def __str__(self):
        return f"{self.organization} {self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d}"


class Verdict(models.TextChoices):
    MET = "met", "达标"
    PARTLY = "partly", "基本达标"
    NOT_MET = "not_met", "不达标"


@audited()
class HealthCheckScore(models.Model):
    """The result and score of one check item in a health check."""

    Verdict = Verdict

    health_check = models.ForeignKey(HealthCheck, models.CASCADE, related_name="scores", verbose_name="党建体检")
    item = models.ForeignKey(CheckItem, models.PROTECT, related_name="scores", verbose_name="体检项目")
    verdict = models.CharField("结果", max_length=10, choices=Verdict.choices)
    score = models.DecimalField("得分", max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])

    objects = ScopedQuerySet.as_manager()
    scope_path = "health_check__organization__path"

    class Meta:
        verbose_name = "体检项目得分"
        verbose_name_plural = "体检项目得分"
        constraints = [
            choices_constraint("verdict", Verdict, "结果"),
            models.UniqueConstraint(
                fields=["health_check", "item"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="同一次体检中每个项目只能打一次分。",
            ),
        ]

    def __str__(self):
        return f"{self.item}：{self.score}"

    def clean(self):
        if self.item_id and self.item.standard != CheckStandard.HEALTH_CHECK:
            raise ValidationError({"item": "请选择党建体检的项目。"})
        if self.item_id and self.score is not None and self.score > self.item.max_score:
            raise ValidationError({"score": f"得分不能超过该项目满分 {self.item.max_score} 分。"})


# The party-mass service venues (党群服务阵地) and their inspections against the venue standard,
# whose items are CheckItems above: a module of their own, which builds on this one.
from members.venues import (  # noqa: E402, F401 (re-exported: the app's models are read from this module)
    INSPECTION_INTERVAL,
    ItemVerdict,
    Rectification,
    RectificationState,
    Venue,
    VenueInspection,
    VenueInspectionItem,
    VenueKind,
    VenuePhoto,
    VenueStatus,
)
