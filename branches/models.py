import uuid
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from treebeard.ltree import LT_Node, LT_NodeManager, LT_NodeQuerySet
from treebeard.ltree.fields import PathField

from xiangcheng.audit import audited, audited_links
from xiangcheng.constraints import choices_constraint, date_order_constraint
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.targets import Status as PaceStatus
from xiangcheng.targets import pace_status, planned_value
from xiangcheng.validators import UPLOAD_TYPES, normalize_mobile, upload_extension, validate_mobile, validate_upload


class OrganizationQuerySet(ScopedQuerySet, LT_NodeQuerySet):
    pass


class OrganizationManager(LT_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user):
        return self.get_queryset().visible_to(user)


# Choices live at module level, each model keeping its name for them (Organization.Type), because
# a model's Meta cannot see the classes nested in its body, and its constraints need them.


class OrganizationType(models.TextChoices):
    DISTRICT = "district", "区委"
    TOWN = "town", "镇党委"
    SUBDISTRICT = "subdistrict", "街道党工委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"


@audited()
class Organization(LT_Node):
    """A party organization in the district tree.

    The district committee (区委) is the root; town and subdistrict committees sit below it, then
    general branches (党总支) and branches (党支部). The tree lives in an ltree `path`, so "this
    organization and everything below it" is one indexed query (`path <@ ancestor`).
    """

    Type = OrganizationType

    # A child's level must be greater than its parent's.
    LEVELS = {
        Type.DISTRICT: 0,
        Type.TOWN: 1,
        Type.SUBDISTRICT: 1,
        Type.GENERAL_BRANCH: 2,
        Type.BRANCH: 3,
    }

    path = PathField("树路径", editable=False)
    type = models.CharField("组织类型", max_length=20, choices=Type.choices)
    name = models.CharField("名称", max_length=100)
    code = models.CharField(
        "组织代码",
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]+$", "组织代码只能包含大写字母和数字。")],
        help_text="唯一的简短代码，导入导出时用它识别组织，例如 YH0312。",
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    is_active = models.BooleanField("有效", default=True)

    objects = OrganizationManager()

    # Scoping (xiangcheng/scoping.py): the lookup to this row's tree path, and the import key.
    scope_path = "path"
    natural_key_field = "code"

    class Meta(LT_Node.Meta):
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        permissions = [("view_all_organizations", "查看全区所有组织的数据")]
        indexes = [
            # Serves every subtree query: scoping ("path <@ my organization") and descendants.
            GistIndex(fields=["path"], name="branches_org_path_gist"),
        ]
        constraints = [
            *LT_Node.Meta.constraints,
            choices_constraint("type", OrganizationType, "组织类型"),
        ]

    def __str__(self):
        return self.name

    @property
    def level(self) -> int:
        return self.LEVELS[self.type]

    def subtree(self):
        """This organization and everything below it, in tree order: one indexed query."""
        return Organization.objects.filter(path__descendants=self.path)


@audited()
class AccountScope(models.Model):
    """An organization a portal account answers for: the account sees that organization's subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="organization_scopes", verbose_name="账号"
    )
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="account_scopes", verbose_name="组织")

    class Meta:
        verbose_name = "账号负责组织"
        verbose_name_plural = "账号负责组织"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="该账号已负责这个组织。",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.organization}"


class BrandKind(models.TextChoices):
    MOTHER = "mother", "母品牌"
    SERIES = "series", "系列品牌"
    BRANCH = "branch", "支部品牌"


@audited()
class Brand(models.Model):
    """A party-building brand: the district's mother brand 先锋"365", its 阳澄红 series, and the
    brands branches create for themselves ("支部创品"). A brand belongs to the organization that
    runs it; action branches may carry one."""

    Kind = BrandKind

    name = models.CharField(
        "品牌名称", max_length=100, unique=True, error_messages={"unique": "已有同名品牌，品牌名称不能重复。"}
    )
    kind = models.CharField("品牌类型", max_length=10, choices=Kind.choices, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级品牌",
        help_text="系列品牌和支部品牌可归入上级品牌；母品牌不填。",
    )
    organization = models.ForeignKey(Organization, models.PROTECT, related_name="brands", verbose_name="所属组织")
    description = models.TextField("品牌内涵", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization__path"
    natural_key_field = "name"

    class Meta:
        verbose_name = "党建品牌"
        verbose_name_plural = "党建品牌"
        ordering = ["kind", "name"]
        constraints = [
            choices_constraint("kind", BrandKind, "品牌类型"),
            models.CheckConstraint(
                condition=~models.Q(kind="mother") | models.Q(parent__isnull=True),
                name="%(app_label)s_%(class)s_mother_has_no_parent",
                violation_error_message="母品牌不能有上级品牌。",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message="品牌不能以自身为上级品牌。",
            ),
        ]

    def __str__(self):
        return self.name


def outside_subtree(members, organization: Organization) -> list[str]:
    """Names of `members` (a queryset of members) who belong neither to `organization` nor below it."""
    return list(members.exclude(organization__path__descendants=organization.path).values_list("name", flat=True))


class ActionBranchQuerySet(ScopedQuerySet):
    def with_service_totals(self, start: date, end: date):
        """Annotate `actions_total` and `people_total`: service actions in [start, end] and the
        person-times they served. One join (actions), so the two aggregates do not multiply."""
        window = models.Q(actions__served_on__range=(start, end))
        return self.annotate(
            actions_total=models.Count("actions", filter=window),
            people_total=Coalesce(models.Sum("actions__people_served", filter=window), 0),
        )


class ActionBranchCategory(models.TextChoices):
    INDUSTRY = "industry", "产业发展类"
    CONVENIENCE = "convenience", "便民服务类"
    HARDSHIP = "hardship", "困难帮扶类"
    GOVERNANCE = "governance", "社会治理类"


class ActionBranchStatus(models.TextChoices):
    ACTIVE = "active", "运行中"
    DISSOLVED = "dissolved", "已撤销"


@audited()
class ActionBranch(models.Model):
    """An action branch (行动支部): members organized around a task, hosted by an organization of
    the tree and led by a secretary, who logs its service actions week after week."""

    Category = ActionBranchCategory
    Status = ActionBranchStatus

    name = models.CharField(
        "行动支部名称", max_length=100, unique=True, error_messages={"unique": "已有同名行动支部，名称不能重复。"}
    )
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="action_branches",
        verbose_name="承办组织",
        help_text="行动支部所依托的党组织；书记和成员须是该组织（含下级组织）的党员。",
    )
    secretary = models.ForeignKey(
        "members.Member",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_action_branches",
        verbose_name="行动支部书记",
    )
    members = models.ManyToManyField("members.Member", blank=True, related_name="action_branches", verbose_name="成员")
    founded_on = models.DateField("成立日期")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.ACTIVE)
    brand = models.ForeignKey(
        Brand, models.SET_NULL, null=True, blank=True, related_name="action_branches", verbose_name="党建品牌"
    )

    objects = ActionBranchQuerySet.as_manager()
    scope_path = "organization__path"
    natural_key_field = "name"

    class Meta:
        verbose_name = "行动支部"
        verbose_name_plural = "行动支部"
        ordering = ["name"]
        constraints = [
            choices_constraint("category", ActionBranchCategory, "行动支部类别"),
            choices_constraint("status", ActionBranchStatus, "行动支部状态"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.secretary_id and self.organization_id:
            members = self._meta.get_field("secretary").related_model.objects.filter(pk=self.secretary_id)
            if outside_subtree(members, self.organization):
                raise ValidationError({"secretary": f"行动支部书记须是{self.organization}（含下级组织）的党员。"})


class ServiceActionQuerySet(ScopedQuerySet):
    def between(self, start: date, end: date):
        """Actions served in [start, end], both days included."""
        return self.filter(served_on__range=(start, end))


class ServiceKind(models.TextChoices):
    POLICY = "policy", "政策宣讲"
    VOLUNTEER = "volunteer", "志愿服务"
    VISIT = "visit", "走访慰问"
    ERRAND = "errand", "帮办代办"
    ENTERPRISE = "enterprise", "企业服务"
    TRAINING = "training", "技能培训"
    MEDIATION = "mediation", "矛盾调解"
    ENVIRONMENT = "environment", "环境整治"
    OTHER = "other", "其他"


@audited()
class ServiceAction(models.Model):
    """One service action (服务记录) of an action branch: what it did, where and for how many
    people. A dated row, so any month or quarter can be recounted later."""

    Kind = ServiceKind

    served_on = models.DateField("服务日期", default=timezone.localdate)
    action_branch = models.ForeignKey(ActionBranch, models.PROTECT, related_name="actions", verbose_name="行动支部")
    title = models.CharField("服务主题", max_length=200)
    kind = models.CharField("服务类型", max_length=20, choices=Kind.choices)
    place = models.CharField("服务地点", max_length=200, blank=True)
    people_served = models.PositiveIntegerField("服务人次", help_text="本次服务惠及的人次，填 0 或正整数。")
    participants = models.ManyToManyField(
        "members.Member", blank=True, related_name="service_actions", verbose_name="参与党员"
    )
    description = models.TextField("服务内容", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name="登记人",
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now, editable=False)

    objects = ServiceActionQuerySet.as_manager()
    scope_path = "action_branch__organization__path"

    class Meta:
        verbose_name = "服务记录"
        verbose_name_plural = "服务记录"
        ordering = ["-served_on", "-pk"]
        indexes = [
            # Serves the totals (branches/services.py service_totals): actions within a date window.
            models.Index(fields=["served_on"], name="branches_action_served_on"),
        ]
        constraints = [
            # Also the import key: re-importing the same sheet updates instead of double-counting.
            models.UniqueConstraint(
                fields=["action_branch", "served_on", "title"],
                name="%(app_label)s_%(class)s_unique_per_day",
                violation_error_message="该行动支部当天已登记过同一主题的服务，请勿重复登记。",
            ),
            choices_constraint("kind", ServiceKind, "服务类型"),
            models.CheckConstraint(
                condition=models.Q(people_served__gte=0),
                name="%(app_label)s_%(class)s_people_served_not_negative",
                violation_error_message="服务人次不能为负数。",
            ),
        ]

    def __str__(self):
        return f"{self.served_on:%Y-%m-%d} {self.title}"


def _attachment_path(instance, filename: str) -> str:
    # A random name: the stored path reveals nothing and cannot be guessed.
    return f"branches/attachments/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{upload_extension(filename)}"


def _validate_new_upload(value) -> None:
    # A stored file was checked when it was uploaded; only a new upload is read.
    if not getattr(value, "_committed", False):
        validate_upload(value)


@audited()
class ServiceAttachment(models.Model):
    """A photo or document of a service action. Stored under MEDIA_ROOT, never served publicly:
    only through the admin view that checks the user may see the action."""

    action = models.ForeignKey(ServiceAction, models.CASCADE, related_name="attachments", verbose_name="服务记录")
    file = models.FileField(
        "文件",
        upload_to=_attachment_path,
        max_length=200,
        validators=[_validate_new_upload],
        help_text="照片或文档：JPG、PNG、PDF、DOCX、XLSX，每个不超过 10 MB。",
    )
    original_name = models.CharField("原文件名", max_length=200, editable=False)
    content_type = models.CharField("文件类型", max_length=100, editable=False)
    size = models.PositiveIntegerField("大小（字节）", default=0, editable=False)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_path = "action__action_branch__organization__path"

    class Meta:
        verbose_name = "服务记录附件"
        verbose_name_plural = "服务记录附件"
        ordering = ["pk"]

    def __str__(self):
        return self.original_name or PurePath(self.file.name).name

    def clean(self):
        if self.file and not self.file._committed:
            self.original_name = PurePath(self.file.name).name[-200:]
            self.size = self.file.size
            self.content_type = UPLOAD_TYPES.get(upload_extension(self.file.name), ("application/octet-stream",))[0]

    @property
    def is_inline(self) -> bool:
        """Photos and PDFs open in the browser; office documents download."""
        return self.content_type in {"image/jpeg", "image/png", "application/pdf"}


class SecretaryProjectQuerySet(ScopedQuerySet):
    def with_latest_percent(self):
        """Annotate `latest_percent`: the percent complete of each project's latest progress update."""
        latest = ProjectProgress.objects.filter(project=OuterRef("pk")).order_by("-reported_on", "-pk")
        return self.annotate(latest_percent=Subquery(latest.values("percent")[:1]))


class ProjectStatus(models.TextChoices):
    ONGOING = "ongoing", "推进中"
    COMPLETED = "completed", "已完成"
    SUSPENDED = "suspended", "已中止"


@audited()
class SecretaryProject(models.Model):
    """A secretary project (书记项目): a named project a secretary leads for a year (红色火车头,
    红色锋巢, …), with dated milestones and progress updates; its pace is measured against its
    planned end date on the plan-target scale (xiangcheng/targets.py)."""

    Status = ProjectStatus

    name = models.CharField("项目名称", max_length=100)
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="secretary_projects", verbose_name="责任组织"
    )
    secretary = models.ForeignKey(
        "members.Member",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="secretary_projects",
        verbose_name="领办书记",
    )
    year = models.PositiveSmallIntegerField("年度")
    goal = models.TextField("项目目标")
    started_on = models.DateField("启动日期")
    planned_end = models.DateField("计划完成日期")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.ONGOING)
    outcome = models.TextField("项目成效", blank=True)

    objects = SecretaryProjectQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "书记项目"
        verbose_name_plural = "书记项目"
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "year"],
                name="%(app_label)s_%(class)s_unique_per_year",
                violation_error_message="该年度已有同名书记项目。",
            ),
            date_order_constraint("started_on", "planned_end", "计划完成日期不能早于启动日期。"),
            choices_constraint("status", ProjectStatus, "书记项目状态"),
        ]

    def __str__(self):
        return f"{self.year}年 {self.name}"

    def clean(self):
        if self.secretary_id and self.organization_id:
            members = self._meta.get_field("secretary").related_model.objects.filter(pk=self.secretary_id)
            if outside_subtree(members, self.organization):
                raise ValidationError({"secretary": f"领办书记须是{self.organization}（含下级组织）的党员。"})

    @property
    def percent_complete(self) -> int:
        """The latest reported percent complete (0 before any report); annotated by
        `with_latest_percent()` in lists, read here otherwise."""
        if not hasattr(self, "latest_percent"):
            latest = self.progress_updates.order_by("-reported_on", "-pk").first()
            self.latest_percent = latest.percent if latest else None
        return self.latest_percent or 0

    def expected_percent(self, on: date) -> int:
        """Percent complete the plan expects by the end of `on`: the elapsed share of the days from
        the start to the planned end, both included (as plan targets count their window)."""
        return planned_value(self.started_on, self.planned_end, on, 100)

    def pace(self, on: date, percent: int | None = None) -> PaceStatus:
        """The pace on `on`, on the plan-target scale: `percent` complete (by default the latest
        reported) against `expected_percent(on)`. The one rule every list and report reads: a
        completed project is on pace, whatever percent it last reported."""
        if self.status == self.Status.COMPLETED:
            return PaceStatus.ON_PACE
        return pace_status(self.percent_complete if percent is None else percent, self.expected_percent(on))


@audited()
class ProjectMilestone(models.Model):
    """A dated milestone of a secretary project, done or not."""

    project = models.ForeignKey(SecretaryProject, models.CASCADE, related_name="milestones", verbose_name="书记项目")
    title = models.CharField("节点内容", max_length=200)
    due_on = models.DateField("计划日期")
    done = models.BooleanField("已完成", default=False)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__organization__path"

    class Meta:
        verbose_name = "项目节点"
        verbose_name_plural = "项目节点"
        ordering = ["due_on"]

    def __str__(self):
        return f"{self.due_on:%Y-%m-%d} {self.title}"


@audited()
class ProjectProgress(models.Model):
    """A dated progress update of a secretary project, with its percent complete."""

    project = models.ForeignKey(
        SecretaryProject, models.CASCADE, related_name="progress_updates", verbose_name="书记项目"
    )
    reported_on = models.DateField("填报日期", default=timezone.localdate)
    percent = models.PositiveSmallIntegerField(
        "完成百分比",
        validators=[MaxValueValidator(100, "完成百分比应在 0 到 100 之间。")],
        help_text="0 到 100 的整数。",
    )
    note = models.TextField("进展情况", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__organization__path"

    class Meta:
        verbose_name = "项目进展"
        verbose_name_plural = "项目进展"
        ordering = ["reported_on"]
        constraints = [
            # Also serves the latest-update lookup of the project list.
            models.UniqueConstraint(
                fields=["project", "reported_on"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message="同一项目同一天只能填报一次进展。",
            ),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100),
                name="%(app_label)s_%(class)s_percent_range",
                violation_error_message="完成百分比应在 0 到 100 之间。",
            ),
        ]

    def __str__(self):
        return f"{self.project} {self.reported_on:%Y-%m-%d} {self.percent}%"


class InstructorRole(models.TextChoices):
    SPECIAL = "special", "特聘指导员"
    ASSISTANT = "assistant", "党建助理员"
    WORKER = "worker", "党务工作者"


@audited()
class Instructor(models.Model):
    """A person in the instructor pool (党建工作指导员人才库) who helps grassroots organizations
    meet the standards. The pool is the district's, so every secretary may consult it; where each
    one works is in their dated assignments."""

    Role = InstructorRole

    name = models.CharField("姓名", max_length=50)
    role = models.CharField("类别", max_length=20, choices=Role.choices)
    member = models.ForeignKey(
        "members.Member",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="instructor_roles",
        verbose_name="对应党员",
        help_text="指导员是本区在册党员时填写。",
    )
    mobile = models.CharField("手机号", max_length=20, blank=True, validators=[validate_mobile])
    employer = models.CharField("工作单位", max_length=200, blank=True)
    qualifications = models.TextField("资历与专长", blank=True)
    is_active = models.BooleanField("在库", default=True)

    personal_fields = {"mobile": "mobile"}

    class Meta:
        verbose_name = "党建工作指导员"
        verbose_name_plural = "党建工作指导员"
        ordering = ["role", "name"]
        constraints = [
            choices_constraint("role", InstructorRole, "指导员类别"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"

    def clean(self):
        self.mobile = normalize_mobile(self.mobile)


class InstructorAssignmentQuerySet(ScopedQuerySet):
    def current(self, on: date):
        """Assignments running on `on`: started by then and not yet ended."""
        return self.filter(start__lte=on).filter(models.Q(end__isnull=True) | models.Q(end__gte=on))


@audited()
class InstructorAssignment(models.Model):
    """A dated assignment of an instructor to an organization (end left open while it runs)."""

    instructor = models.ForeignKey(Instructor, models.CASCADE, related_name="assignments", verbose_name="指导员")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="instructor_assignments", verbose_name="指导组织"
    )
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", null=True, blank=True, help_text="仍在指导的留空。")
    note = models.CharField("指导内容", max_length=200, blank=True)

    objects = InstructorAssignmentQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "指导员派驻"
        verbose_name_plural = "指导员派驻"
        ordering = ["-start"]
        indexes = [
            # Serves "organizations without an instructor now": current assignments of one organization.
            models.Index(fields=["organization", "start"], name="branches_assignment_org_start"),
        ]
        constraints = [
            date_order_constraint("start", "end", "结束日期不能早于开始日期。"),
        ]

    def __str__(self):
        return f"{self.instructor} → {self.organization}"


# Who belongs to an action branch and who took part in an action are audited like the rows.
audited_links(ActionBranch.members)
audited_links(ServiceAction.participants)
