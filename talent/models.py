from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from talent.querysets import InvestmentQuerySet, TalentProjectQuerySet, TalentQuerySet
from xiangcheng.audit import audited, audited_links
from xiangcheng.constraints import choices_constraint, date_order_constraint
from xiangcheng.models import NamedList
from xiangcheng.people import PinyinNamed, Sex, person_name_indexes
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import normalize_id_number, normalize_mobile, validate_id_number, validate_mobile


@audited()
class Industry(NamedList):
    """One of the district's leading industries (the "3+2")."""

    class Meta(NamedList.Meta):
        verbose_name = "产业"
        verbose_name_plural = "产业"


@audited()
class Zone(NamedList):
    """One of the five functional zones (五大功能片区)."""

    class Meta(NamedList.Meta):
        verbose_name = "功能片区"
        verbose_name_plural = "功能片区"


@audited()
class Honour(NamedList):
    """A talent title or programme (海外专业人才, 国家"千人计划"专家, …)."""

    class Meta(NamedList.Meta):
        verbose_name = "人才称号"
        verbose_name_plural = "人才称号"


@audited()
class RecruitmentBrand(NamedList):
    """A recruitment brand (苏州国际精英创业周相城分会场, 阳澄湖创客年会, "相融" series, …)."""

    class Meta(NamedList.Meta):
        verbose_name = "招引品牌"
        verbose_name_plural = "招引品牌"


@audited()
class RecruitmentEvent(models.Model):
    """A recruitment event of a brand; talents and projects record the event that brought them."""

    name = models.CharField("活动名称", max_length=200)
    brand = models.ForeignKey(
        RecruitmentBrand, models.PROTECT, related_name="recruitment_events", verbose_name="招引品牌"
    )
    held_on = models.DateField("举办日期")
    place = models.CharField("地点", max_length=200, blank=True)
    participants = models.PositiveIntegerField("参与人数", default=0)

    natural_key_field = "name"

    class Meta:
        verbose_name = "招引活动"
        verbose_name_plural = "招引活动"
        ordering = ["-held_on"]

    def __str__(self):
        return self.name


PASSPORT = RegexValidator(r"^[A-Z0-9]{5,20}$", "护照号应为 5–20 位大写字母或数字。")


# Choices live at module level, each model keeping its name for them (Talent.Status), because
# a model's Meta cannot see the classes nested in its body, and its constraints need them.


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    PASSPORT = "passport", "护照"


class TalentStatus(models.TextChoices):
    ACTIVE = "active", "在相城"
    LEFT = "left", "已离开"


@audited()
class Talent(PinyinNamed):
    """A high-level talent the district introduced. The introduction date is what plans count."""

    Sex = Sex
    DocumentType = DocumentType
    Status = TalentStatus

    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=10, choices=Sex.choices)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    region = models.CharField("国籍或地区", max_length=50, default="中国")
    is_overseas = models.BooleanField("海外人才", default=False)
    document_type = models.CharField(
        "证件类型", max_length=20, choices=DocumentType.choices, default=DocumentType.RESIDENT_ID
    )
    id_number = models.CharField(
        "证件号码", max_length=30, unique=True, error_messages={"unique": "该证件号码的人才已登记，不能重复计入。"}
    )
    mobile = models.CharField("手机号", max_length=20, blank=True, validators=[validate_mobile])
    degree = models.CharField("最高学历", max_length=20, blank=True)
    field = models.CharField("专业领域", max_length=100, blank=True)
    employer = models.CharField("工作单位", max_length=200, blank=True)
    industry = models.ForeignKey(Industry, models.PROTECT, null=True, blank=True, verbose_name="产业")
    zone = models.ForeignKey(Zone, models.PROTECT, null=True, blank=True, verbose_name="功能片区")
    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="talents", verbose_name="责任组织"
    )
    introduced_on = models.DateField("引进日期", null=True, blank=True)
    source_event = models.ForeignKey(
        RecruitmentEvent, models.SET_NULL, null=True, blank=True, related_name="talents", verbose_name="来源活动"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField("备注", blank=True)

    objects = TalentQuerySet.as_manager()

    scope_path = "organization__path"
    natural_key_field = "id_number"
    personal_fields = {"id_number": "id_number", "mobile": "mobile"}

    class Meta:
        verbose_name = "人才"
        verbose_name_plural = "人才"
        ordering = ["-introduced_on", "name"]
        indexes = [
            # Serves the plan targets: talents introduced within a window.
            models.Index(fields=["introduced_on"], name="talent_talent_introduced"),
            *person_name_indexes("talent_talent"),
        ]
        constraints = [
            choices_constraint("sex", Sex, "性别"),
            choices_constraint("document_type", DocumentType, "证件类型"),
            choices_constraint("status", TalentStatus, "状态"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The number is checked by its document type: a resident ID by GB 11643, else a passport.
        if self.document_type == self.DocumentType.RESIDENT_ID:
            self.id_number, check = normalize_id_number(self.id_number), validate_id_number
        else:
            self.id_number, check = self.id_number.strip().upper(), PASSPORT
        try:
            check(self.id_number)
        except ValidationError as error:
            raise ValidationError({"id_number": error.messages}) from None
        self.mobile = normalize_mobile(self.mobile)


@audited()
class TalentHonour(models.Model):
    """A dated honour of a talent."""

    talent = models.ForeignKey(Talent, models.CASCADE, related_name="honours", verbose_name="人才")
    honour = models.ForeignKey(Honour, models.PROTECT, related_name="awards", verbose_name="称号")
    awarded_on = models.DateField("获得日期")

    objects = ScopedQuerySet.as_manager()
    scope_path = "talent__organization__path"

    class Meta:
        verbose_name = "人才称号记录"
        verbose_name_plural = "人才称号记录"
        constraints = [
            models.UniqueConstraint(
                fields=["talent", "honour"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="该人才已有这个称号。",
            )
        ]

    def __str__(self):
        return f"{self.talent} · {self.honour}"


@audited()
class FundingProgramme(NamedList):
    """A funding programme with its per-project cap (阳澄湖人才计划: 50,000,000 yuan)."""

    cap = models.DecimalField("单个项目资助上限（元）", max_digits=14, decimal_places=2)

    class Meta(NamedList.Meta):
        verbose_name = "资助计划"
        verbose_name_plural = "资助计划"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cap__gt=0),
                name="%(app_label)s_%(class)s_cap_positive",
                violation_error_message="单个项目资助上限应大于 0。",
            ),
        ]


class ProjectStage(models.TextChoices):
    SIGNED = "signed", "已签约"
    LANDED = "landed", "已落地"
    PRODUCING = "producing", "已投产"


@audited()
class TalentProject(models.Model):
    """A talent project and its funding; its stage changes are dated records."""

    Stage = ProjectStage

    title = models.CharField("项目名称", max_length=200)
    talents = models.ManyToManyField(Talent, related_name="projects", verbose_name="人才")
    enterprise = models.CharField("企业", max_length=200)
    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="talent_projects", verbose_name="责任组织"
    )
    source_event = models.ForeignKey(
        RecruitmentEvent, models.SET_NULL, null=True, blank=True, related_name="projects", verbose_name="来源活动"
    )
    programme = models.ForeignKey(
        FundingProgramme, models.PROTECT, null=True, blank=True, related_name="projects", verbose_name="资助计划"
    )
    requested = models.DecimalField(
        "申请金额（元）", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    approved = models.DecimalField(
        "批准金额（元）", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    disbursed = models.DecimalField(
        "已拨付金额（元）", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    objects = TalentProjectQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "人才项目"
        verbose_name_plural = "人才项目"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disbursed__lte=models.F("approved")),
                name="%(app_label)s_%(class)s_disbursed_within_approved",
                violation_error_message="已拨付金额不能超过批准金额。",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.programme_id and self.approved and self.approved > self.programme.cap:
            raise ValidationError(
                {"approved": f"批准金额超过{self.programme.name}单个项目上限 {self.programme.cap:,.0f} 元。"}
            )


@audited()
class ProjectStageChange(models.Model):
    """The dated move of a talent project into a stage."""

    project = models.ForeignKey(TalentProject, models.CASCADE, related_name="stage_changes", verbose_name="人才项目")
    stage = models.CharField("阶段", max_length=20, choices=ProjectStage.choices)
    changed_on = models.DateField("日期")

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__organization__path"

    class Meta:
        verbose_name = "项目阶段变化"
        verbose_name_plural = "项目阶段变化"
        ordering = ["changed_on"]
        constraints = [choices_constraint("stage", ProjectStage, "项目阶段")]

    def __str__(self):
        return f"{self.project} {self.get_stage_display()}"


@audited()
class OverseasPlacement(models.Model):
    """An overseas professional placed in a party/government organ or state enterprise for a key project."""

    talent = models.ForeignKey(Talent, models.CASCADE, related_name="placements", verbose_name="人才")
    host_unit = models.CharField("用人单位", max_length=200)
    project = models.CharField("重点项目", max_length=200)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "talent__organization__path"

    class Meta:
        verbose_name = "海外人才岗位安排"
        verbose_name_plural = "海外人才岗位安排"
        constraints = [date_order_constraint("start", "end", "结束日期不能早于开始日期。")]

    def __str__(self):
        return f"{self.talent} @ {self.host_unit}"


@audited()
class SupportRequest(models.Model):
    """A practical need of a talent (housing and others), raised and solved on dates."""

    talent = models.ForeignKey(Talent, models.CASCADE, related_name="support_requests", verbose_name="人才")
    need = models.CharField("诉求", max_length=200)
    raised_on = models.DateField("提出日期")
    solved_on = models.DateField("解决日期", null=True, blank=True)
    solved_by = models.CharField("解决人/单位", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "talent__organization__path"

    class Meta:
        verbose_name = "人才服务诉求"
        verbose_name_plural = "人才服务诉求"
        constraints = [date_order_constraint("raised_on", "solved_on", "解决日期不能早于提出日期。")]

    def __str__(self):
        return f"{self.talent}：{self.need}"


@audited()
class Fund(models.Model):
    """A talent innovation fund (苏州阳澄人才创新企业基金): it invests in talents' enterprises to bring
    projects to the district and keep them there ("以投代引，以投促引"). District data, kept by staff;
    its investments are scoped through their projects. Amounts in 万元."""

    name = models.CharField("基金名称", max_length=200, unique=True)
    size = models.DecimalField("基金规模（万元）", max_digits=14, decimal_places=2)
    manager = models.CharField("基金管理人", max_length=200)
    established_on = models.DateField("成立日期")
    term_ends_on = models.DateField("存续期至", null=True, blank=True)
    note = models.TextField("备注", blank=True)

    natural_key_field = "name"

    class Meta:
        verbose_name = "人才创新企业基金"
        verbose_name_plural = "人才创新企业基金"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0),
                name="%(app_label)s_%(class)s_size_positive",
                violation_error_message="基金规模应大于 0。",
            ),
            date_order_constraint("established_on", "term_ends_on", "存续期截止日期不能早于成立日期。"),
        ]

    def __str__(self):
        return self.name


class InvestmentStage(models.TextChoices):
    SEED = "seed", "种子轮"
    ANGEL = "angel", "天使轮"
    SERIES_A = "series_a", "A轮"
    SERIES_B = "series_b", "B轮"
    SERIES_C = "series_c", "C轮"
    LATER = "later", "后续轮次"


@audited()
class Investment(models.Model):
    """A dated investment of a fund in a talent project's enterprise: the amount, the share it
    bought and the round; the exit, when the fund sells, with its date and amount. Scoped through
    its project. A fund's investments together stay within its size: a rule over many rows,
    checked by `talent.services.investment_record`."""

    Stage = InvestmentStage

    fund = models.ForeignKey(Fund, models.PROTECT, related_name="investments", verbose_name="基金")
    project = models.ForeignKey(TalentProject, models.PROTECT, related_name="investments", verbose_name="人才项目")
    invested_on = models.DateField("投资日期")
    amount = models.DecimalField("投资金额（万元）", max_digits=14, decimal_places=2)
    share = models.DecimalField("持股比例（%）", max_digits=5, decimal_places=2)
    stage = models.CharField("投资轮次", max_length=20, choices=Stage.choices)
    exited_on = models.DateField("退出日期", null=True, blank=True)
    exit_amount = models.DecimalField("退出金额（万元）", max_digits=14, decimal_places=2, null=True, blank=True)

    objects = InvestmentQuerySet.as_manager()
    scope_path = "project__organization__path"

    class Meta:
        verbose_name = "基金投资"
        verbose_name_plural = "基金投资"
        ordering = ["-invested_on", "pk"]
        constraints = [
            choices_constraint("stage", InvestmentStage, "投资轮次"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message="投资金额应大于 0。",
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=100),
                name="%(app_label)s_%(class)s_share_range",
                violation_error_message="持股比例应大于 0，且不超过 100。",
            ),
            date_order_constraint("invested_on", "exited_on", "退出日期不能早于投资日期。"),
            models.CheckConstraint(
                condition=models.Q(exit_amount__isnull=True) | models.Q(exited_on__isnull=False, exit_amount__gte=0),
                name="%(app_label)s_%(class)s_exit_amount_with_exit",
                violation_error_message="退出金额须与退出日期一并填写，且不能为负数。",
            ),
            models.UniqueConstraint(
                fields=["fund", "project", "invested_on"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="该基金在同一天对该项目已记录一笔投资。",
            ),
        ]

    def __str__(self):
        day = f"{self.invested_on:%Y-%m-%d}" if self.invested_on else "未填日期"
        project = self.project if self.project_id else "未选项目"
        return f"{project}（{day}，{self.get_stage_display()}）"

    def clean(self):
        if self.fund_id and self.invested_on and self.invested_on < self.fund.established_on:
            raise ValidationError(
                {"invested_on": f"投资日期不能早于{self.fund.name}的成立日期 {self.fund.established_on:%Y-%m-%d}。"}
            )


audited_links(TalentProject.talents)
