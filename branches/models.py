from django.contrib.postgres.indexes import GistIndex
from django.core.validators import RegexValidator
from django.db import models
from treebeard.ltree import LT_Node, LT_NodeManager
from treebeard.ltree.fields import PathField


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

    objects = LT_NodeManager()

    class Meta(LT_Node.Meta):
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
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
