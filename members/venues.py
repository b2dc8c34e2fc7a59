"""The party-mass service venues (党群服务中心、站、点; 基层党建阵地标准化建设): the venues of the
organizations, the venue standard they are inspected against (the `CheckItem`s of the 阵地标准,
a list staff edit), dated inspections with a verdict per item, and the rectification of each item
that failed.

The rules, each stated once here and used by the lists, their filters and the report:

- An inspection is 达标 when none of its items failed (`inspection_failed`).
- A venue's status on a day comes from its latest inspection on or before that day: 达标 or 未达标
  as that inspection is, 未检查 without one (`venue_status`).
- A venue is overdue for inspection on a day when it has been inspected, but not within
  `INSPECTION_INTERVAL` up to that day (`inspection_overdue`).
- An item that failed is a rectification, due by its 整改期限: done once its 整改完成日期 has come,
  open until then, and overdue when still open after the day it was due (`rectification_state`).

Imported at the end of members/models.py, whose `CheckItem` it builds on.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from branches.models import PrivateFile, _attachment_path, _validate_new_upload, town_path
from members.models import CheckItem, CheckStandard
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint
from xiangcheng.counting import count_per_group
from xiangcheng.scoping import ScopedQuerySet

# How often a venue must be inspected: at least once a year. A venue whose latest inspection is
# older than this on a day is overdue on that day (one inspected exactly this long ago is not).
INSPECTION_INTERVAL = timedelta(days=365)


class VenueKind(models.TextChoices):
    CENTRE = "centre", "党群服务中心"
    STATION = "station", "党群服务站"
    POINT = "point", "党群服务点"


class VenueStatus(models.TextChoices):
    """A venue's status on a day, from its latest inspection (never stored: `venue_status`)."""

    MET = "met", "达标"
    NOT_MET = "not_met", "未达标"
    NEVER = "never", "未检查"


class ItemVerdict(models.TextChoices):
    MET = "met", "达标"
    NOT_MET = "not_met", "不达标"


class RectificationState(models.TextChoices):
    """A rectification's state on a day (never stored: `rectification_state`)."""

    DONE = "done", "已整改"
    OPEN = "open", "整改中"
    OVERDUE = "overdue", "逾期未整改"


# --- The rules -------------------------------------------------------------------------------


def inspection_failed(inspection=None) -> Exists:
    """Whether an inspection has an item that failed: the rule of an inspection's result.
    `inspection` refers to it (the outer row's key when not given)."""
    failed = VenueInspectionItem.objects.filter(
        inspection=OuterRef("pk") if inspection is None else inspection, verdict=ItemVerdict.NOT_MET
    )
    return Exists(failed)


def _inspections_up_to(on: date):
    """The inspections of the outer venue on or before `on`, latest first (served by the unique
    index on venue and day)."""
    return VenueInspection.objects.filter(venue=OuterRef("pk"), inspected_on__lte=on).order_by("-inspected_on", "-pk")


def venue_status(on: date) -> Case:
    """The outer venue's status on `on` (a VenueStatus value), from its latest inspection."""
    latest = _inspections_up_to(on)
    latest_failed = Subquery(latest.annotate(failed=inspection_failed()).values("failed")[:1])
    return Case(
        When(~Exists(latest), then=Value(VenueStatus.NEVER)),
        When(Q(latest_failed), then=Value(VenueStatus.NOT_MET)),
        default=Value(VenueStatus.MET),
        output_field=models.CharField(),
    )


def inspection_overdue(on: date) -> Q:
    """Whether the outer venue, inspected before, was not inspected within INSPECTION_INTERVAL up to
    `on` (a venue never inspected is 未检查, not overdue)."""
    since = on - INSPECTION_INTERVAL
    return Q(Exists(_inspections_up_to(on))) & ~Q(Exists(_inspections_up_to(on).filter(inspected_on__gte=since)))


def _rectification_done(on: date) -> Q:
    return Q(rectified_on__lte=on)


def _rectification_overdue(on: date) -> Q:
    return ~_rectification_done(on) & Q(rectify_by__lt=on)


def rectification_state(on: date) -> Case:
    """A rectification's state on `on` (a RectificationState value)."""
    return Case(
        When(_rectification_done(on), then=Value(RectificationState.DONE)),
        When(_rectification_overdue(on), then=Value(RectificationState.OVERDUE)),
        default=Value(RectificationState.OPEN),
        output_field=models.CharField(),
    )


# --- Venues ----------------------------------------------------------------------------------


class VenueQuerySet(ScopedQuerySet):
    def with_status(self, on: date):
        """Each venue with its `status` on `on` and `last_inspected_on`, the day of its latest
        inspection up to then (None if never)."""
        return self.annotate(
            status=venue_status(on),
            last_inspected_on=Subquery(_inspections_up_to(on).values("inspected_on")[:1]),
        )

    def in_status(self, status: str, on: date):
        """The venues whose status on `on` is `status` (a VenueStatus value)."""
        return self.alias(status_on_day=venue_status(on)).filter(status_on_day=status)

    def inspection_overdue(self, on: date):
        """The venues overdue for inspection on `on`."""
        return self.filter(inspection_overdue(on))

    def counts_by_town(self, on: date) -> list[dict]:
        """Per town or subdistrict of these venues (`town`, its tree path): the venues (`rows`),
        how many of them are in each status on `on` (by its value) and how many are overdue for
        inspection (`overdue`). One query."""
        flags = {status: Q(status=status) for status in VenueStatus.values}
        flags["overdue"] = inspection_overdue(on)
        return count_per_group(self.with_status(on).annotate(town=town_path("organization__path")), "town", flags)


@audited()
class Venue(models.Model):
    """A party-mass service venue (党群服务中心、站、点) of an organization, built to the district's
    venue standard and inspected against it at least once a year. Its status is never stored: it
    comes from its latest inspection (`VenueQuerySet.with_status`)."""

    Kind = VenueKind
    Status = VenueStatus

    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="venues", verbose_name="所属党组织"
    )
    name = models.CharField("阵地名称", max_length=100)
    kind = models.CharField("阵地类型", max_length=20, choices=Kind.choices)
    address = models.CharField("地址", max_length=200)
    area = models.PositiveIntegerField("使用面积（平方米）", validators=[MinValueValidator(1)])
    opening_hours = models.CharField("开放时间", max_length=100, help_text="例如：周一至周日 8:30—20:00。")
    rooms = models.TextField("功能室设置", blank=True, help_text="例如：党员活动室、议事协商室、便民服务大厅。")

    objects = VenueQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "党群服务阵地"
        verbose_name_plural = "党群服务阵地"
        ordering = ["organization__path", "name"]
        constraints = [
            choices_constraint("kind", VenueKind, "阵地类型"),
            # Also the import key: importing the same sheet again updates the venues.
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="该党组织已有同名的阵地。",
            ),
            models.CheckConstraint(
                condition=Q(area__gt=0),
                name="%(app_label)s_%(class)s_area_positive",
                violation_error_message="使用面积须大于 0。",
            ),
        ]

    def __str__(self):
        return self.name


@audited()
class VenuePhoto(PrivateFile):  # noqa: DJ008 (PrivateFile names it by its file)
    """A photo of a venue (its sign, rooms, rules on the wall). Stored and served as the service
    log's attachments are: under MEDIA_ROOT with a random name, opened only through the admin view
    that checks the user may see the venue."""

    venue = models.ForeignKey(Venue, models.CASCADE, related_name="photos", verbose_name="阵地")
    file = models.FileField(
        "照片",
        upload_to=_attachment_path,
        max_length=200,
        validators=[_validate_new_upload],
        help_text="照片或文档：JPG、PNG、PDF、DOCX、XLSX，每个不超过 10 MB。",
    )
    caption = models.CharField("照片说明", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "venue__organization__path"
    upload_folder = "members/venues"

    class Meta:
        verbose_name = "阵地照片"
        verbose_name_plural = "阵地照片"
        ordering = ["pk"]


# --- Inspections -----------------------------------------------------------------------------


class VenueInspectionQuerySet(ScopedQuerySet):
    def with_result(self):
        """Each inspection with `failed`: whether one of its items failed (未达标)."""
        return self.annotate(failed=inspection_failed())


@audited()
class VenueInspection(models.Model):
    """A dated inspection of a venue against the venue standard, with a verdict per item
    (`VenueInspectionItem`); 达标 when no item failed."""

    venue = models.ForeignKey(Venue, models.PROTECT, related_name="inspections", verbose_name="阵地")
    inspected_on = models.DateField("检查日期", default=timezone.localdate)
    inspector = models.CharField("检查人", max_length=100)
    remarks = models.TextField("检查意见", blank=True)

    objects = VenueInspectionQuerySet.as_manager()
    scope_path = "venue__organization__path"

    class Meta:
        verbose_name = "阵地检查"
        verbose_name_plural = "阵地检查"
        ordering = ["-inspected_on", "-pk"]
        constraints = [
            # Its index also serves each venue's latest inspection (`venue_status`).
            models.UniqueConstraint(
                fields=["venue", "inspected_on"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message="该阵地当天已有检查记录。",
            ),
        ]

    def __str__(self):
        return f"{self.venue} {self.inspected_on:%Y-%m-%d}"


@audited()
class VenueInspectionItem(models.Model):
    """The verdict on one item of the venue standard in an inspection. An item that failed is also
    its rectification (`Rectification`): the database requires its due date, and a done date only
    on a failed item, so each failed item has exactly one."""

    Verdict = ItemVerdict

    inspection = models.ForeignKey(VenueInspection, models.CASCADE, related_name="items", verbose_name="阵地检查")
    item = models.ForeignKey(
        CheckItem,
        models.PROTECT,
        related_name="venue_verdicts",
        limit_choices_to={"standard": CheckStandard.VENUE},
        verbose_name="检查项目",
    )
    verdict = models.CharField("结果", max_length=10, choices=Verdict.choices)
    finding = models.TextField("存在问题", blank=True)
    rectify_by = models.DateField("整改期限", null=True, blank=True, help_text="不达标的项目须填写。")
    rectified_on = models.DateField("整改完成日期", null=True, blank=True)
    rectification = models.TextField("整改情况", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "inspection__venue__organization__path"

    class Meta:
        verbose_name = "检查项目结果"
        verbose_name_plural = "检查项目结果"
        ordering = ["inspection", "item__sort_order", "pk"]
        constraints = [
            choices_constraint("verdict", ItemVerdict, "结果"),
            models.UniqueConstraint(
                fields=["inspection", "item"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="同一次检查中每个项目只能评判一次。",
            ),
            models.CheckConstraint(
                condition=Q(verdict=ItemVerdict.MET, rectify_by__isnull=True, rectified_on__isnull=True)
                | Q(verdict=ItemVerdict.NOT_MET, rectify_by__isnull=False),
                name="%(app_label)s_%(class)s_rectified_if_failed",
                violation_error_message="不达标的项目须填写整改期限；达标的项目不填整改期限和整改完成日期。",
            ),
        ]

    def __str__(self):
        return f"{self.item}：{self.get_verdict_display()}"

    def clean(self):
        errors = {}
        if self.item_id and self.item.standard != CheckStandard.VENUE:
            errors["item"] = "请选择阵地标准的项目。"
        inspected_on = self.inspection.inspected_on if self.inspection_id else None
        if inspected_on and self.rectify_by and self.rectify_by < inspected_on:
            errors["rectify_by"] = "整改期限不能早于检查日期。"
        if inspected_on and self.rectified_on and self.rectified_on < inspected_on:
            errors["rectified_on"] = "整改完成日期不能早于检查日期。"
        if errors:
            raise ValidationError(errors)


class RectificationQuerySet(ScopedQuerySet):
    def with_state(self, on: date):
        """Each rectification with its `state` on `on`."""
        return self.annotate(state=rectification_state(on))

    def in_state(self, state: str, on: date):
        """The rectifications of inspections up to `on` whose state on `on` is `state` (a
        RectificationState value)."""
        return (
            self.filter(inspection__inspected_on__lte=on)
            .alias(state_on_day=rectification_state(on))
            .filter(state_on_day=state)
        )


class RectificationManager(models.Manager.from_queryset(RectificationQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(verdict=ItemVerdict.NOT_MET)


class Rectification(VenueInspectionItem):
    """A rectification (整改事项): an item that failed an inspection, as the list of what is to be
    put right by its due date. The same rows as `VenueInspectionItem`, the failed ones only."""

    State = RectificationState

    objects = RectificationManager()

    class Meta:
        proxy = True
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["rectify_by", "pk"]
