"""Action branches (行动支部): members organized around a task, hosted by an organization."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce

from branches.models.organizations import Brand, Organization, outside_subtree
from xiangcheng.audit import audited, audited_links
from xiangcheng.constraints import choices_constraint
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import assigned_anew


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
        if self.secretary_id and self.organization_id and assigned_anew(self, "organization_id", "secretary_id"):
            members = self._meta.get_field("secretary").related_model.objects.filter(pk=self.secretary_id)
            if outside_subtree(members, self.organization):
                raise ValidationError({"secretary": f"行动支部书记须是{self.organization}（含下级组织）的党员。"})


# Who belongs to an action branch is audited like the rows.
audited_links(ActionBranch.members)
