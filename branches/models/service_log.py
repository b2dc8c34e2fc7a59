"""The service log: what action branches did, for how many people, with photos and documents."""

import uuid
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from branches.models.action_branches import ActionBranch
from xiangcheng.audit import audited, audited_links
from xiangcheng.constraints import choices_constraint
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import (
    UPLOAD_TYPES,
    not_after_today,
    plausible_people_served,
    upload_extension,
    validate_upload,
)


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

    served_on = models.DateField("服务日期", default=timezone.localdate, validators=[not_after_today])
    action_branch = models.ForeignKey(ActionBranch, models.PROTECT, related_name="actions", verbose_name="行动支部")
    title = models.CharField("服务主题", max_length=200)
    kind = models.CharField("服务类型", max_length=20, choices=Kind.choices)
    place = models.CharField("服务地点", max_length=200, blank=True)
    people_served = models.PositiveIntegerField(
        "服务人次", help_text="本次服务惠及的人次，填 0 或正整数。", validators=[plausible_people_served]
    )
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
            # Serves the totals (branches/services.py service_totals): actions within a date window;
            # and the service log's order (newest first, then -pk): its first page reads a hundred
            # index entries instead of sorting years of actions.
            models.Index(fields=["served_on", "id"], name="branches_action_served_on_id"),
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

    def clean(self):
        # Not before its branch existed: a service logged as of 1990 was saved and then counted
        # in no report.
        branch = self.action_branch if self.action_branch_id else None
        if branch is not None and self.served_on and self.served_on < branch.founded_on:
            raise ValidationError(
                {"served_on": f"服务日期早于该行动支部的成立日期（{branch.founded_on:%Y-%m-%d}）。"},
                code="before_founding",
            )


def _attachment_path(instance, filename: str) -> str:
    # A random name: the stored path reveals nothing and cannot be guessed.
    folder = instance.upload_folder
    return f"{folder}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{upload_extension(filename)}"


def _validate_new_upload(value) -> None:
    # A stored file was checked when it was uploaded; only a new upload is read.
    if not getattr(value, "_committed", False):
        validate_upload(value)


class PrivateFile(models.Model):
    """A photo or document stored under MEDIA_ROOT with a random name and never served publicly:
    only by an admin view that checks the user may see the record it belongs to and answers with
    `branches.admin.attachment_response`. A concrete model adds the record it belongs to, names
    its folder under MEDIA_ROOT in `upload_folder`, and may declare `file` again for its own label."""

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

    upload_folder: str

    class Meta:
        abstract = True

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


@audited()
class ServiceAttachment(PrivateFile):
    """A photo or document of a service action. Stored under MEDIA_ROOT, never served publicly:
    only through the admin view that checks the user may see the action."""

    action = models.ForeignKey(ServiceAction, models.CASCADE, related_name="attachments", verbose_name="服务记录")

    objects = ScopedQuerySet.as_manager()
    scope_path = "action__action_branch__organization__path"
    upload_folder = "branches/attachments"

    class Meta:
        verbose_name = "服务记录附件"
        verbose_name_plural = "服务记录附件"
        ordering = ["pk"]


# Who took part in an action is audited like the rows.
audited_links(ServiceAction.participants)
