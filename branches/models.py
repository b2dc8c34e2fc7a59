from django.conf import settings
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import RegexValidator
from django.db import models
from treebeard.ltree import LT_Node, LT_NodeManager, LT_NodeQuerySet
from treebeard.ltree.fields import PathField

from xiangcheng.audit import audited
from xiangcheng.scoping import ScopedQuerySet


class OrganizationQuerySet(ScopedQuerySet, LT_NodeQuerySet):
    pass


class OrganizationManager(LT_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user):
        return self.get_queryset().visible_to(user)


@audited()
class Organization(LT_Node):
    """A party organization in the district tree.

    The district committee (区委) is the root; town and subdistrict committees sit below it, then
    general branches (党总支) and branches (党支部). The tree lives in an ltree `path`, so "this
    organization and everything below it" is one indexed query (`path <@ ancestor`).
    """

    class Type(models.TextChoices):
        DISTRICT = "district", "区委"
        TOWN = "town", "镇党委"
        SUBDISTRICT = "subdistrict", "街道党工委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"

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
            models.CheckConstraint(
                condition=models.Q(type__in=["district", "town", "subdistrict", "general_branch", "branch"]),
                name="%(app_label)s_%(class)s_type_valid",
                violation_error_message="组织类型无效。",
            ),
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
