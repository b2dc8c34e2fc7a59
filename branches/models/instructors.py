"""The instructor pool (党建工作指导员人才库) and the dated assignments of its instructors."""

from datetime import date

from django.db import models

from branches.models.organizations import Organization
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint, date_order_constraint
from xiangcheng.people import PinyinNamed, person_name_indexes
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import normalize_mobile, validate_mobile


class InstructorRole(models.TextChoices):
    SPECIAL = "special", "特聘指导员"
    ASSISTANT = "assistant", "党建助理员"
    WORKER = "worker", "党务工作者"


@audited()
class Instructor(PinyinNamed):
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
        indexes = person_name_indexes("branches_instructor")
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
