"""The organization tree, the terms of its committees (届次), the accounts that answer for its
organizations, and the brands they run."""

from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Least
from treebeard.ltree import LT_Node, LT_NodeManager, LT_NodeQuerySet
from treebeard.ltree.fields import NLevel, PathField, Subpath

from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint
from xiangcheng.counting import count_subquery
from xiangcheng.scoping import ScopedQuerySet

# The town or subdistrict of an organization is the one at this depth of its path: the district
# committee is the root (depth 1), towns and subdistricts sit right below it.
TOWN_DEPTH = 2


def town_of_path(path) -> str:
    """The town path of a tree path given as text or a path value (`Organization.town_path`)."""
    return ".".join(str(path).split(".")[:TOWN_DEPTH])


def town_path(path):
    """The SQL twin of `Organization.town_path`: the path of the town or subdistrict that `path`
    lies in (its first two labels; the district's own path for the district).

    `path` is a path lookup (`"organization__path"`) or an expression returning a path, so a
    query can group or join by town without reading organizations in Python.
    """
    return Subpath(path, 0, Least(NLevel(path), Value(TOWN_DEPTH)))


# A branch has at least this many full members (正式党员) and usually no more than MAX_BRANCH_MEMBERS
# members on the roll.
MIN_FULL_MEMBERS = 3
MAX_BRANCH_MEMBERS = 50


class OrganizationQuerySet(ScopedQuerySet, LT_NodeQuerySet):
    def towns(self):
        """The towns and subdistricts (镇党委, 街道党工委)."""
        return self.filter(type__in=Organization.TOWN_TYPES)

    def without_instructor(self, on: date):
        """Organizations no instructor is assigned to on `on` (the list's 当前无指导员)."""
        current = apps.get_model("branches", "InstructorAssignment").objects.current(on)
        return self.filter(~Exists(current.filter(organization=OuterRef("pk"))))

    def with_instructor(self, on: date):
        current = apps.get_model("branches", "InstructorAssignment").objects.current(on)
        return self.filter(Exists(current.filter(organization=OuterRef("pk"))))

    def _branches_counting(self, on: date, **conditions):
        """Active branches annotated with `members_counted`: their own members on the roll on
        `on` meeting `conditions` (a subquery per branch, served by the members' organization index).
        Per branch, so a town's count reads the town's members: one grouped pass over the members
        is faster for the whole district (15 against 36 ms at scale 2) but reads the district's
        members for a town too (15 against 5 ms), since the scope is added to the branches after."""
        members = apps.get_model("members", "Member").objects.on_roll(on).filter(organization=OuterRef("pk"))
        return self.filter(type=Organization.Type.BRANCH, is_active=True).annotate(
            members_counted=count_subquery(members.filter(**conditions))
        )

    def above_member_limit(self, on: date):
        """Active branches with more than MAX_BRANCH_MEMBERS members on the roll on `on`."""
        return self._branches_counting(on).filter(members_counted__gt=MAX_BRANCH_MEMBERS)

    def below_full_members(self, on: date):
        """Active branches with fewer than MIN_FULL_MEMBERS full members on the roll on `on`."""
        full = apps.get_model("members", "Member").Category.FULL
        return self._branches_counting(on, category=full).filter(members_counted__lt=MIN_FULL_MEMBERS)

    def with_term_end(self, on: date):
        """Annotate `term_ends_on`: the end of each organization's current committee term on `on`
        (`current_term_end`)."""
        return self.annotate(term_ends_on=current_term_end(on))

    def term_ending(self, on: date):
        """Active organizations whose current committee term ends within TERM_ENDING_DAYS of `on`,
        or has ended with no new election recorded (换届到期). Annotates `term_ends_on`."""
        return (
            self.filter(is_active=True)
            .with_term_end(on)
            .filter(term_ends_on__lte=on + timedelta(days=TERM_ENDING_DAYS))
        )


class OrganizationManager(LT_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user, action="view"):
        return self.get_queryset().visible_to(user, action)

    def towns(self):
        return self.get_queryset().towns()


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
    # The committees right below the district, which reports group by as 镇（街道）.
    TOWN_TYPES = (Type.TOWN, Type.SUBDISTRICT)

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
    # Imports also find an organization by its full name or an unambiguous end of it (imex._lookup).
    natural_name_field = "name"

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

    @property
    def town_path(self) -> str:
        """The path of the town or subdistrict this organization lies in: its own for a town, the
        district's for the district. `town_path()` computes the same in SQL."""
        return town_of_path(self.path)

    @property
    def town(self) -> "Organization":
        """The town or subdistrict this organization lies in (itself for a town, the district for
        the district): one query, none when it is its own town."""
        if str(self.path) == self.town_path:
            return self
        return Organization.objects.get(path=self.town_path)

    def subtree(self):
        """This organization and everything below it, in tree order: one indexed query."""
        return Organization.objects.filter(path__descendants=self.path)


# A committee whose current term ends within this many days is due for re-election (换届).
TERM_ENDING_DAYS = 90
# Branch committees are elected for three years, town committees for five.
DEFAULT_TERM_YEARS = 3


class TermEnd(models.Func):
    """The day a term elected on `elected` for `years` years ends, in SQL: the same day `years`
    later (a term elected on 29 February ends on 28 February). The one place it is computed."""

    output_field = models.DateField()

    def __init__(self, elected="elected_on", years="term_years", **extra):
        super().__init__(F(elected) if isinstance(elected, str) else elected, F(years), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        (elected, elected_params), (years, years_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"CAST(({elected} + make_interval(years => {years})) AS date)", (*elected_params, *years_params)


class CommitteeTermQuerySet(ScopedQuerySet):
    def with_end(self):
        """Annotate `ends_on`: the day each term ends (`TermEnd`)."""
        return self.annotate(ends_on=TermEnd())


def current_term_end(on: date) -> Subquery:
    """The end of the current term of the organization of the outer query on `on`: the term of
    its latest election on or before `on` (NULL when none is recorded)."""
    latest = CommitteeTerm.objects.filter(organization=OuterRef("pk"), elected_on__lte=on).order_by("-elected_on")
    return Subquery(latest.annotate(ends_on=TermEnd()).values("ends_on")[:1], output_field=models.DateField())


@audited()
class CommitteeTerm(models.Model):
    """A term of an organization's committee (党组织委员会的一届): elected on a day for a number of
    years (branch committees three, town committees five). An organization's latest election is
    its current term; the term ends that many years after the election (`TermEnd`)."""

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="committee_terms", verbose_name="党组织"
    )
    elected_on = models.DateField("选举日期")
    term_years = models.PositiveSmallIntegerField(
        "任期（年）",
        default=DEFAULT_TERM_YEARS,
        validators=[MinValueValidator(1, "任期至少 1 年。"), MaxValueValidator(5, "任期不能超过 5 年。")],
        help_text="党支部委员会一般 3 年，镇（街道）党委 5 年。",
    )
    note = models.CharField("备注", max_length=200, blank=True)

    objects = CommitteeTermQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "委员会届次"
        verbose_name_plural = "委员会届次"
        ordering = ["organization", "-elected_on"]
        constraints = [
            # Also serves the lookup of an organization's latest election (`current_term_end`).
            models.UniqueConstraint(
                fields=["organization", "elected_on"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message="该党组织这一天的换届选举已登记。",
            ),
            models.CheckConstraint(
                condition=models.Q(term_years__gte=1, term_years__lte=5),
                name="%(app_label)s_%(class)s_term_years_range",
                violation_error_message="任期应在 1 到 5 年之间。",
            ),
        ]

    def __str__(self):
        return f"{self.organization} {self.elected_on:%Y-%m-%d} 选举（任期 {self.term_years} 年）"


def outside_subtree(members, organization: Organization) -> list[str]:
    """Names of `members` (a queryset of members) who belong neither to `organization` nor below it."""
    return list(members.exclude(organization__path__descendants=organization.path).values_list("name", flat=True))


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
