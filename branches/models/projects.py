"""Secretary projects (书记项目), their milestones and their dated progress updates."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from branches.models.organizations import Organization, outside_subtree
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint, date_order_constraint
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.targets import Status as PaceStatus
from xiangcheng.targets import pace_status, planned_value
from xiangcheng.validators import assigned_anew


class SecretaryProjectQuerySet(ScopedQuerySet):
    def with_latest_percent(self, until: date | None = None):
        """Annotate `latest_percent`: the percent complete of each project's latest progress update
        (reported on or before `until`, when given)."""
        latest = ProjectProgress.objects.filter(project=OuterRef("pk")).order_by("-reported_on", "-pk")
        if until is not None:
            latest = latest.filter(reported_on__lte=until)
        return self.annotate(latest_percent=Subquery(latest.values("percent")[:1]))

    def with_overdue_milestones(self, on: date):
        """Ongoing projects with a milestone overdue on `on` (`ProjectMilestoneQuerySet.overdue`)."""
        overdue = ProjectMilestone.objects.overdue(on).filter(project=OuterRef("pk"))
        return self.filter(Exists(overdue))

    @staticmethod
    def first_overdue_milestone(on: date) -> Subquery:
        """The due day of the earliest milestone overdue on `on` of the project of the outer query."""
        overdue = ProjectMilestone.objects.overdue(on).filter(project=OuterRef("pk")).order_by("due_on")
        return Subquery(overdue.values("due_on")[:1])

    def behind(self, start: date, end: date, on: date):
        """Projects of the year of [start, end] not on pace on `on`, by the progress reported by
        `end`: the 进度滞后 of the report and the list filter that number opens. Pace is a rule in
        Python (`SecretaryProject.pace`), so the year's projects in the queryset are judged one by
        one and the result is a filter on their keys."""
        projects = self.filter(year=start.year).with_latest_percent(until=end)
        late = [project.pk for project in projects if project.pace(on) != PaceStatus.ON_PACE]
        return self.filter(pk__in=late)


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
        if self.secretary_id and self.organization_id and assigned_anew(self, "organization_id", "secretary_id"):
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

    def pace(self, on: date) -> PaceStatus:
        """The pace on `on`, on the plan-target scale: the latest reported percent complete
        against `expected_percent(on)`. The one rule every list and report reads: a
        completed project is on pace, whatever percent it last reported."""
        if self.status == self.Status.COMPLETED:
            return PaceStatus.ON_PACE
        return pace_status(self.percent_complete, self.expected_percent(on))


class ProjectMilestoneQuerySet(ScopedQuerySet):
    def overdue(self, on: date):
        """Milestones of ongoing projects not done and due before `on` (due on `on` is not yet)."""
        return self.filter(done=False, due_on__lt=on, project__status=ProjectStatus.ONGOING)


@audited()
class ProjectMilestone(models.Model):
    """A dated milestone of a secretary project, done or not."""

    project = models.ForeignKey(SecretaryProject, models.CASCADE, related_name="milestones", verbose_name="书记项目")
    title = models.CharField("节点内容", max_length=200)
    due_on = models.DateField("计划日期")
    done = models.BooleanField("已完成", default=False)

    objects = ProjectMilestoneQuerySet.as_manager()
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
