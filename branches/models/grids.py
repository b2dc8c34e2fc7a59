"""Grid governance led by party building (党建引领网格化) and the general social workers (全科社工).

Communities and villages (their 社区/村 党总支 in the tree) are divided into grids (`Grid`). People
hold dated roles in a grid (`GridRole`): its grid head, full-time grid workers, the party members
who live in it, and general social workers. A grid's problems are logged and solved in its
grid log (`GridLogEntry`, 民情日志). General social workers (`SocialWorker`) are a roster of their
own, assigned by date to communities (`SocialWorkerAssignment`) and, as grid roles, to grids.

Every row is dated (`started_on`/`ended_on`, both days included, an empty end still running), so
the coverage of any day can be recounted. The coverage rules are the queryset methods below
(`Grid.objects.without_member(on)`, …), called by the report section and by the list filters its
numbers open, so the number and the list cannot disagree.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Q, Subquery
from django.utils import timezone

from branches.models.organizations import Organization, OrganizationType
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint, date_order_constraint, no_overlap_constraint
from xiangcheng.people import IdentifiedByIdNumber, PinyinNamed, Sex, person_name_indexes
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import assigned_anew, normalize_mobile, validate_id_number, validate_mobile

# A problem open longer than this many days is overdue (超期未解决): open 30 days is not yet, 31 is.
OVERDUE_AFTER_DAYS = 30
# The organizations a grid lies in: a community's or a village's party general branch.
COMMUNITY_TYPES = (OrganizationType.GENERAL_BRANCH,)
# The organizations a social worker belongs to: a town or subdistrict, or a community or village.
SOCIAL_WORKER_ORGANIZATION_TYPES = (OrganizationType.TOWN, OrganizationType.SUBDISTRICT, *COMMUNITY_TYPES)
ENDED_BEFORE_STARTED = "结束日期不能早于开始日期。"


def running_on(on: date, prefix: str = "") -> Q:
    """A condition: the dated row (that `prefix` leads to, e.g. "roles__") runs on `on`: started by
    then (an empty start: since ever) and not ended before it (its end day still counts). The one
    rule of every dated row of this module."""
    started = Q(**{f"{prefix}started_on__isnull": True}) | Q(**{f"{prefix}started_on__lte": on})
    return started & (Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": on}))


def days_taken():
    """The days a grid-log problem took, solved_on − raised_on, as SQL (NULL while it is open).
    Computed where it is read, never stored."""
    return Func(
        F("solved_on"),
        F("raised_on"),
        template="(%(expressions)s)",
        arg_joiner=" - ",
        output_field=models.IntegerField(),
    )


def _within(path, ancestor) -> bool:
    """Whether the tree path `path` is `ancestor` or lies below it."""
    path, ancestor = str(path), str(ancestor)
    return path == ancestor or path.startswith(ancestor + ".")


class DatedQuerySet(ScopedQuerySet):
    def running_on(self, on: date):
        """The rows running on `on` (see `running_on`)."""
        return self.filter(running_on(on))


# --- Coverage: one condition per rule, read by the queryset methods and the report's counts ----


def has_member(on: date) -> Exists:
    """A condition on grids: a party member holds a role in the grid on `on` (any role)."""
    return Exists(GridRole.objects.filter(running_on(on), grid=OuterRef("pk"), member__isnull=False))


def has_social_worker(on: date) -> Exists:
    """A condition on grids: a general social worker holds a role in the grid on `on` (any role)."""
    return Exists(GridRole.objects.filter(running_on(on), grid=OuterRef("pk"), social_worker__isnull=False))


def has_overdue_problem(on: date) -> Exists:
    """A condition on grids: a problem of the grid's log is overdue on `on`."""
    return Exists(GridLogEntry.objects.overdue(on).filter(grid=OuterRef("pk")))


class GridQuerySet(DatedQuerySet):
    def existing_on(self, on: date):
        """Grids divided by `on` and not dissolved before it."""
        return self.running_on(on)

    def without_member(self, on: date):
        """Grids existing on `on` in which no party member holds a role that day (无党员参与)."""
        return self.existing_on(on).filter(~has_member(on))

    def without_social_worker(self, on: date):
        """Grids existing on `on` in which no general social worker holds a role that day."""
        return self.existing_on(on).filter(~has_social_worker(on))

    def with_overdue_problems(self, on: date):
        """Grids existing on `on` with a problem open longer than OVERDUE_AFTER_DAYS that day."""
        return self.existing_on(on).filter(has_overdue_problem(on))


@audited()
class Grid(models.Model):
    """A grid (网格): a part of a community or village, with the area it covers and its households
    and residents. Its grid head, grid workers, resident party members and social workers are its
    dated roles; its problems are its grid log."""

    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="grids",
        limit_choices_to={"type__in": COMMUNITY_TYPES},
        verbose_name="所属社区（村）",
        help_text="网格所在社区或村的党总支。",
    )
    name = models.CharField("网格名称", max_length=100)
    code = models.CharField(
        "网格编号",
        max_length=30,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]+$", "网格编号只能包含大写字母、数字和连字符。")],
        error_messages={"unique": "已有该编号的网格，网格编号不能重复。"},
        help_text="全区唯一，导入导出时用它识别网格，例如 YH0101-03。",
    )
    area = models.CharField("覆盖范围", max_length=200, blank=True, help_text="如：华元小区 1–12 幢、沿街商铺。")
    households = models.PositiveIntegerField("户数", default=0)
    residents = models.PositiveIntegerField("常住人口", default=0)
    started_on = models.DateField("划分日期", null=True, blank=True, help_text="不详的留空。")
    ended_on = models.DateField(
        "撤销日期", null=True, blank=True, help_text="撤销或合并的网格填写存续的最后一天；仍存续的留空。"
    )

    objects = GridQuerySet.as_manager()
    scope_path = "organization__path"
    natural_key_field = "code"

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="该社区（村）已有同名网格。",
            ),
            date_order_constraint("started_on", "ended_on", "撤销日期不能早于划分日期。"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        organization = self.organization if self.organization_id else None
        if organization is not None and organization.type not in COMMUNITY_TYPES:
            raise ValidationError(
                {"organization": f"网格须设在社区（村）党总支之下，{organization}是{organization.get_type_display()}。"}
            )


class SocialWorkerQualification(models.TextChoices):
    NONE = "none", "暂未取得"
    ASSISTANT = "assistant", "助理社会工作师"
    INTERMEDIATE = "intermediate", "社会工作师"
    SENIOR = "senior", "高级社会工作师"


@audited()
class SocialWorker(IdentifiedByIdNumber, PinyinNamed):
    """A general social worker (全科社工): a community social worker who can handle every kind of
    resident service, on the roster of a town or a community, assigned by date to communities
    and grids. On duty from `started_on` to `ended_on` (both days included)."""

    Qualification = SocialWorkerQualification

    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=10, choices=Sex.choices, blank=True, help_text="留空则按身份证号填写。")
    id_number = models.CharField(
        "身份证号",
        max_length=18,
        unique=True,
        validators=[validate_id_number],
        error_messages={"unique": "该身份证号的全科社工已登记，不能重复登记。"},
    )
    birth_date = models.DateField("出生日期", editable=False)
    mobile = models.CharField("手机号", max_length=20, blank=True, validators=[validate_mobile])
    qualification = models.CharField(
        "职业资格等级", max_length=20, choices=Qualification.choices, default=Qualification.NONE
    )
    certificate = models.CharField("资格证书编号", max_length=50, blank=True)
    employer = models.CharField("用人单位", max_length=200)
    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="social_workers",
        limit_choices_to={"type__in": SOCIAL_WORKER_ORGANIZATION_TYPES},
        verbose_name="所属组织",
        help_text="管理该社工的镇（街道）或社区（村）；只能派驻到其范围内的社区和网格。",
    )
    started_on = models.DateField("入职日期")
    ended_on = models.DateField("离职日期", null=True, blank=True, help_text="离职的填写最后在岗日期；在岗的留空。")

    objects = DatedQuerySet.as_manager()
    scope_path = "organization__path"
    natural_key_field = "id_number"
    personal_fields = {"id_number": "id_number", "mobile": "mobile"}

    class Meta:
        verbose_name = "全科社工"
        verbose_name_plural = "全科社工"
        ordering = ["organization__path", "name"]
        indexes = person_name_indexes("branches_sworker")
        constraints = [
            # Never blank in the database: clean() fills it from the ID number.
            choices_constraint("sex", Sex, "性别"),
            choices_constraint("qualification", SocialWorkerQualification, "职业资格等级"),
            date_order_constraint("started_on", "ended_on", "离职日期不能早于入职日期。"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.mobile = normalize_mobile(self.mobile)
        errors = self.fill_from_id_number()
        organization = self.organization if self.organization_id else None
        if organization is not None and organization.type not in SOCIAL_WORKER_ORGANIZATION_TYPES:
            errors["organization"] = (
                f"全科社工须属于镇（街道）或社区（村），{organization}是{organization.get_type_display()}。"
            )
        if errors:
            raise ValidationError(errors)


@audited()
class SocialWorkerAssignment(models.Model):
    """A dated assignment of a general social worker to a community or village within the
    organization the worker belongs to (both days included; an empty end while it runs)."""

    social_worker = models.ForeignKey(SocialWorker, models.CASCADE, related_name="assignments", verbose_name="全科社工")
    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="social_worker_assignments",
        limit_choices_to={"type__in": COMMUNITY_TYPES},
        verbose_name="派驻社区（村）",
    )
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True, help_text="仍在派驻的留空。")
    note = models.CharField("备注", max_length=200, blank=True)

    objects = DatedQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "全科社工派驻"
        verbose_name_plural = "全科社工派驻"
        ordering = ["-started_on", "-pk"]
        constraints = [
            date_order_constraint("started_on", "ended_on", ENDED_BEFORE_STARTED),
            no_overlap_constraint(
                "social_worker", "organization", message="该社工在这段时间已派驻到这个社区（村），时间不能重叠。"
            ),
        ]

    def __str__(self):
        return f"{self.social_worker} → {self.organization}"

    def clean(self):
        if not (self.social_worker_id and self.organization_id):
            return
        organization, worker = self.organization, self.social_worker
        if organization.type not in COMMUNITY_TYPES:
            raise ValidationError(
                {"organization": f"只能派驻到社区（村）党总支，{organization}是{organization.get_type_display()}。"}
            )
        if assigned_anew(self, "organization_id", "social_worker_id") and not _within(
            organization.path, worker.organization.path
        ):
            raise ValidationError(
                {"organization": f"全科社工{worker}属于{worker.organization}，不能派驻到其范围以外的{organization}。"}
            )
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": ENDED_BEFORE_STARTED})
        if self.started_on:
            other = _overlapping(
                SocialWorkerAssignment.objects.filter(social_worker=worker, organization=organization), self
            )
            if other is not None:
                raise ValidationError(
                    {"started_on": f"与该社工已有的派驻时间重叠：{_span(other)}。新的派驻最早从前一段结束的次日开始。"}
                )


class GridRoleKind(models.TextChoices):
    HEAD = "head", "网格长"
    FULL_TIME = "full_time", "专职网格员"
    PARTY_MEMBER = "party_member", "网格党员"
    SOCIAL_WORKER = "social_worker", "全科社工"


@audited()
class GridRole(models.Model):
    """A role a person holds in a grid for a time (both days included; an empty end while it
    runs): grid head, full-time grid worker, a party member who lives in the grid, or a general
    social worker. The person is a party member of the grid's community (or below it) or a social
    worker of an organization the grid lies in, never both; the same person cannot hold the same
    role in the same grid twice over overlapping days (an exclusion constraint, btree_gist)."""

    Role = GridRoleKind

    grid = models.ForeignKey(Grid, models.CASCADE, related_name="roles", verbose_name="网格")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    member = models.ForeignKey(
        "members.Member",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="grid_roles",
        verbose_name="党员",
        help_text="网格长、专职网格员可以是党员或全科社工，网格党员须是党员。",
    )
    social_worker = models.ForeignKey(
        SocialWorker,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="grid_roles",
        verbose_name="全科社工",
        help_text="党员和全科社工只填一个。",
    )
    started_on = models.DateField("开始日期", default=timezone.localdate)
    ended_on = models.DateField("结束日期", null=True, blank=True, help_text="仍在任的留空；填写的日期当天仍在任。")
    note = models.CharField("备注", max_length=200, blank=True)

    objects = DatedQuerySet.as_manager()
    scope_path = "grid__organization__path"

    class Meta:
        verbose_name = "网格角色"
        verbose_name_plural = "网格角色"
        ordering = ["grid", "role", "-started_on"]
        constraints = [
            choices_constraint("role", GridRoleKind, "网格角色"),
            date_order_constraint("started_on", "ended_on", ENDED_BEFORE_STARTED),
            models.CheckConstraint(
                condition=Q(member__isnull=False, social_worker__isnull=True)
                | Q(member__isnull=True, social_worker__isnull=False),
                name="%(app_label)s_%(class)s_one_person",
                violation_error_message="党员和全科社工须填且只填一个。",
            ),
            models.CheckConstraint(
                condition=~Q(role=GridRoleKind.PARTY_MEMBER) | Q(member__isnull=False),
                name="%(app_label)s_%(class)s_party_member_is_member",
                violation_error_message="“网格党员”须选择一名党员。",
            ),
            models.CheckConstraint(
                condition=~Q(role=GridRoleKind.SOCIAL_WORKER) | Q(social_worker__isnull=False),
                name="%(app_label)s_%(class)s_social_worker_is_worker",
                violation_error_message="“全科社工”角色须选择一名全科社工。",
            ),
            no_overlap_constraint(
                "grid",
                "role",
                "member",
                suffix="member",
                message="该党员在这段时间已在本网格担任这一角色，时间不能重叠。",
            ),
            no_overlap_constraint(
                "grid",
                "role",
                "social_worker",
                suffix="social_worker",
                message="该社工在这段时间已在本网格担任这一角色，时间不能重叠。",
            ),
        ]

    def __str__(self):
        return f"{self.grid} · {self.get_role_display()} · {self.person}"

    @property
    def person(self):
        """The member or the social worker who holds the role."""
        return self.member if self.member_id else self.social_worker

    def clean(self):
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            # Raised on the field, so the overlap check never reads an inverted range.
            raise ValidationError({"ended_on": ENDED_BEFORE_STARTED})
        if not self.grid_id:
            return
        if assigned_anew(self, "grid_id", "member_id", "social_worker_id"):
            errors = _outside_grid(
                self.grid,
                self.member if self.member_id else None,
                self.social_worker if self.social_worker_id else None,
            )
            if errors:
                raise ValidationError(errors)
        if self.started_on and self.role and (self.member_id or self.social_worker_id):
            same = GridRole.objects.filter(grid_id=self.grid_id, role=self.role)
            same = (
                same.filter(member_id=self.member_id)
                if self.member_id
                else same.filter(social_worker_id=self.social_worker_id)
            )
            other = _overlapping(same, self)
            if other is not None:
                role = self.get_role_display()
                raise ValidationError(
                    {
                        "started_on": f"{self.person}在本网格已有时间重叠的“{role}”：{_span(other)}。"
                        "同一人同一角色的任期不能重叠，新的任期最早从前一段结束的次日开始。"
                    }
                )


class GridLogCategory(models.TextChoices):
    DISPUTE = "dispute", "矛盾纠纷"
    SAFETY = "safety", "安全隐患"
    ENVIRONMENT = "environment", "环境卫生"
    LIVELIHOOD = "livelihood", "民生诉求"
    POLICY = "policy", "政策咨询"
    OTHER = "other", "其他"


def open_on(on: date) -> Q:
    """A condition on grid-log problems: raised by `on` and not solved by then (a problem solved
    that day is solved)."""
    return Q(raised_on__lte=on) & (Q(solved_on__isnull=True) | Q(solved_on__gt=on))


def overdue_on(on: date) -> Q:
    """A condition on grid-log problems: open on `on` and raised more than OVERDUE_AFTER_DAYS
    days before it (open 30 days is not overdue, 31 is)."""
    return open_on(on) & Q(raised_on__lt=on - timedelta(days=OVERDUE_AFTER_DAYS))


class GridLogEntryQuerySet(ScopedQuerySet):
    def open_on(self, on: date):
        """Problems open on `on` (see `open_on`)."""
        return self.filter(open_on(on))

    def overdue(self, on: date):
        """Problems overdue on `on` (see `overdue_on`)."""
        return self.filter(overdue_on(on))

    def with_days_taken(self):
        """Annotate `days_taken`: the days each problem took to solve (None while open)."""
        return self.annotate(days_taken=days_taken())


@audited()
class GridLogEntry(models.Model):
    """An entry of a grid's log (民情日志): a problem raised in the grid (when, of what kind, by
    whom), the party member or social worker who took it, what was done and the day it was
    solved. The days it took are solved_on − raised_on, computed where read (`days_taken`)."""

    Category = GridLogCategory

    grid = models.ForeignKey(Grid, models.PROTECT, related_name="log_entries", verbose_name="网格")
    raised_on = models.DateField("反映日期", default=timezone.localdate)
    category = models.CharField("问题类别", max_length=20, choices=Category.choices)
    problem = models.TextField("反映问题")
    raised_by = models.CharField("反映人", max_length=50, blank=True, help_text="居民姓名或来源，如“网格巡查”。")
    taken_by_member = models.ForeignKey(
        "members.Member",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_log_entries",
        verbose_name="承办党员",
    )
    taken_by_worker = models.ForeignKey(
        SocialWorker,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_log_entries",
        verbose_name="承办社工",
        help_text="承办党员和承办社工最多填一个。",
    )
    actions = models.TextField("处理措施", blank=True)
    solved_on = models.DateField("解决日期", null=True, blank=True, help_text="尚未解决的留空。")

    objects = GridLogEntryQuerySet.as_manager()
    scope_path = "grid__organization__path"

    class Meta:
        verbose_name = "民情日志"
        verbose_name_plural = "民情日志"
        ordering = ["-raised_on", "-pk"]
        indexes = [
            # Serves the log's order (newest first, then -pk) and the report's counts of problems
            # raised within a period.
            models.Index(fields=["raised_on", "id"], name="branches_gridlog_raised_on_id"),
        ]
        constraints = [
            choices_constraint("category", GridLogCategory, "问题类别"),
            date_order_constraint("raised_on", "solved_on", "解决日期不能早于反映日期。"),
            models.CheckConstraint(
                condition=Q(taken_by_member__isnull=True) | Q(taken_by_worker__isnull=True),
                name="%(app_label)s_%(class)s_one_taker",
                violation_error_message="承办党员和承办社工最多填一个。",
            ),
        ]

    def __str__(self):
        return f"{self.raised_on:%Y-%m-%d} {self.grid} · {self.get_category_display()}"

    def clean(self):
        if not self.grid_id:
            return
        if not assigned_anew(self, "grid_id", "taken_by_member_id", "taken_by_worker_id"):
            return
        errors = _outside_grid(
            self.grid,
            self.taken_by_member if self.taken_by_member_id else None,
            self.taken_by_worker if self.taken_by_worker_id else None,
            fields=("taken_by_member", "taken_by_worker"),
        )
        if errors:
            raise ValidationError(errors)


def _outside_grid(grid: Grid, member, worker, fields=("member", "social_worker")) -> dict:
    """Errors by field for a person who may not act in `grid`: a party member who belongs neither
    to the grid's community nor below it, or a social worker whose organization the grid does not
    lie in. The same rule as a query: `members_who_may_act_in`, `workers_who_may_act_in`."""
    errors = {}
    community = grid.organization
    if member is not None and not _within(member.organization.path, community.path):
        errors[fields[0]] = f"{member}不是{community}（含下级组织）的党员，不能在该网格任职或承办。"
    if worker is not None and not _within(community.path, worker.organization.path):
        errors[fields[1]] = f"全科社工{worker}属于{worker.organization}，{grid}不在其范围内。"
    return errors


def _community_path(grid):
    return Subquery(Grid.objects.filter(pk=grid).values("organization__path"))


def members_who_may_act_in(members, grid):
    """`members` who may act in the grid of key `grid` (`_outside_grid`): of its community or
    below it; all of them while no grid is given. What a grid role's picker offers."""
    return members if grid is None else members.filter(organization__path__descendants=_community_path(grid))


def workers_who_may_act_in(workers, grid):
    """`workers` who may act in the grid of key `grid` (`_outside_grid`): of an organization the
    grid lies in; all of them while no grid is given."""
    return workers if grid is None else workers.filter(organization__path__ancestors=_community_path(grid))


def _overlapping(rows, row):
    """The first of `rows` other than `row` whose days overlap `row`'s (both ends included, an
    empty end still running), or None."""
    overlapping = rows.exclude(pk=row.pk).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=row.started_on))
    if row.ended_on is not None:
        overlapping = overlapping.filter(started_on__lte=row.ended_on)
    return overlapping.order_by("started_on").first()


def _span(row) -> str:
    if row.ended_on is None:
        return f"{row.started_on:%Y-%m-%d} 起至今"
    return f"{row.started_on:%Y-%m-%d} 至 {row.ended_on:%Y-%m-%d}"
