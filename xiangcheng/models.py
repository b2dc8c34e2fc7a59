import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from xiangcheng import targets
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint, date_order_constraint
from xiangcheng.periods import QUARTER_NAMES
from xiangcheng.scoping import ScopedQuerySet


class NamedList(models.Model):
    """A list staff edit (industries, zones, honours, recruitment brands, assessment dimensions):
    a unique name and an order. Abstract: each app's lists are tables of their own."""

    name = models.CharField("名称", max_length=100, unique=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    natural_key_field = "name"

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


# Choices live at module level, each model keeping its name for them (AccessLog.Action), because
# a model's Meta cannot see the classes nested in its body, and its constraints need them.


class AccessAction(models.TextChoices):
    EXPORT = "export", "导出"
    VIEW_FULL_NUMBER = "view_full_number", "查看完整证件号/手机号"


class AccessLog(models.Model):
    """An append-only record of every export and every view of a full personal number."""

    Action = AccessAction

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+", verbose_name="账号")
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    what = models.CharField("对象", max_length=200)
    rows = models.PositiveIntegerField("行数", default=0)

    class Meta:
        verbose_name = "访问日志"
        verbose_name_plural = "访问日志"
        ordering = ["-at"]
        default_permissions = ["view"]
        permissions = [
            ("view_full_numbers", "查看完整身份证号和手机号"),
            ("import_data", "导入数据"),
            ("export_data", "导出数据"),
        ]
        constraints = [choices_constraint("action", AccessAction, "操作")]
        triggers = [
            # Append-only, enforced by the database whatever the code path.
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.what}"


class ImportUpload(models.Model):
    """A file between an import's preview and its confirmation (kept in the database, never on disk)."""

    name = models.CharField("名称", max_length=64, unique=True)
    data = models.BinaryField("内容")
    created_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "待确认导入文件"
        verbose_name_plural = "待确认导入文件"

    def __str__(self):
        return self.name


@audited()
class Target(models.Model):
    """A district plan target (计划目标): so many dated events within a window, say 3,000 talents
    brought in between 2018 and 2020. A registered rule (xiangcheng/targets.py) counts the events;
    yearly milestones may set the pace instead of an even spread over the window."""

    name = models.CharField("名称", max_length=100)
    rule = models.CharField("统计规则", max_length=50, help_text="由哪条规则统计完成数量。")
    parameter = models.CharField(
        "规则参数", max_length=100, blank=True, help_text="部分规则可据此筛选，例如荣誉名称；不需要时留空。"
    )
    start = models.DateField("开始日期")
    end = models.DateField("截止日期")
    value = models.PositiveIntegerField("目标值")
    notes = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = "计划目标"
        verbose_name_plural = "计划目标"
        ordering = ["start", "name"]
        constraints = [date_order_constraint("start", "end", "截止日期不能早于开始日期。")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.rule and targets.get_rule(self.rule) is None:
            raise ValidationError({"rule": f"统计规则“{self.rule}”不存在，请从列表中选择。"})


@audited()
class TargetMilestone(models.Model):
    """A yearly milestone (年度节点) of a plan target: how much should be done, in total, by a date."""

    target = models.ForeignKey(Target, models.CASCADE, related_name="milestones", verbose_name="计划目标")
    due_on = models.DateField("节点日期")
    value = models.PositiveIntegerField("累计应完成", help_text="截至节点日期应累计完成的数量。")

    class Meta:
        verbose_name = "年度节点"
        verbose_name_plural = "年度节点"
        ordering = ["target", "due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "due_on"],
                name="%(app_label)s_%(class)s_unique_due_on",
                violation_error_message="同一计划目标的节点日期不能重复。",
            ),
        ]

    def __str__(self):
        return f"{self.target} · {self.due_on:%Y-%m-%d}"

    def clean(self):
        try:
            target = self.target
        except Target.DoesNotExist:
            return
        if self.due_on and target.start and target.end and not target.start <= self.due_on <= target.end:
            window = f"{target.start:%Y-%m-%d} 至 {target.end:%Y-%m-%d}"
            raise ValidationError({"due_on": f"节点日期必须在计划目标的起止日期（{window}）之内。"})


class Quarter(models.IntegerChoices):
    Q1 = 1, QUARTER_NAMES[1]
    Q2 = 2, QUARTER_NAMES[2]
    Q3 = 3, QUARTER_NAMES[3]
    Q4 = 4, QUARTER_NAMES[4]


# The stored files stay out of the history: the history says who closed and reopened, not the bytes.
@audited(exclude=["data", "xlsx", "csv_zip"])
class ClosedReport(models.Model):
    """A closed quarter (已关闭的季度报表): the quarterly report of one organization as it stood
    when staff closed the quarter, its numbers as JSON and its files as bytes. Later edits to the
    records leave it unchanged; viewing or downloading a closed quarter serves what is stored.
    Reopening marks it reopened (kept, with who and why, in the audit trail); the quarter may then
    be closed again."""

    Quarter = Quarter

    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度", choices=Quarter.choices)
    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="closed_reports", verbose_name="组织"
    )
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="关闭人")
    closed_at = models.DateTimeField("关闭时间", default=timezone.now)
    data = models.JSONField("报表数据")
    xlsx = models.BinaryField("XLSX 文件")
    csv_zip = models.BinaryField("CSV 压缩包")
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="重新开放人"
    )
    reopened_at = models.DateTimeField("重新开放时间", null=True, blank=True)
    reopen_reason = models.CharField("重新开放原因", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization__path"

    class Meta:
        verbose_name = "已关闭的季度报表"
        verbose_name_plural = "已关闭的季度报表"
        ordering = ["-year", "-quarter", "organization__path"]
        permissions = [("close_report", "关闭和重新开放季度报表")]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "quarter", "organization"],
                condition=models.Q(reopened_at__isnull=True),
                name="%(app_label)s_%(class)s_one_closed",
                violation_error_message="该组织的这个季度已经关闭。",
            ),
            choices_constraint("quarter", Quarter, "季度"),
            models.CheckConstraint(
                condition=models.Q(reopened_at__isnull=True) | models.Q(reopened_by__isnull=False),
                name="%(app_label)s_%(class)s_reopened_by_someone",
                violation_error_message="重新开放须记录重新开放人。",
            ),
        ]
        triggers = [
            # What was closed stays as it was, whatever the code path: only reopening may change a row.
            pgtrigger.ReadOnly(
                name="frozen",
                fields=["year", "quarter", "organization", "closed_by", "closed_at", "data", "xlsx", "csv_zip"],
            ),
            pgtrigger.Protect(name="kept", operation=pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.organization} {self.year}年{self.get_quarter_display()}"


class DataChange(models.Model):
    """One writing statement on a counted table (or, after `compact`, many): the data version is
    the sum of the weights (xiangcheng/snapshots.py). Written by a database trigger only."""

    weight = models.BigIntegerField(default=1)

    class Meta:
        default_permissions = []

    def __str__(self):
        return f"+{self.weight}"


class Snapshot(models.Model):
    """Figures as computed at one data version (xiangcheng/snapshots.py)."""

    key = models.TextField(unique=True)
    version = models.BigIntegerField()
    day = models.DateField()
    data = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)
    # How long computing it took (a claim not released is taken over after three times this).
    compute_ms = models.PositiveIntegerField(default=0)
    # Set while a server computes it again in a thread (claimed once across servers).
    refreshing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = []

    def __str__(self):
        return f"{self.key} @ {self.version}"


class MessageQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


@audited(exclude=["items"])
class Message(models.Model):
    """A message in an account's inbox (消息): the daily digest of what falls due in the account's
    scope, written by `send_reminders`, one per account and day at most. `items` keep the to-dos
    as they stood that day (label, count, deadline, link); the e-mail copy is marked sent only
    once the mail server took it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="messages", verbose_name="收件人"
    )
    day = models.DateField("日期")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    items = models.JSONField("待办事项", default=list, blank=True)
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-day", "-pk"]
        # Everyone reads their own messages; no one writes them in a form (`send_reminders` does).
        default_permissions = []
        indexes = [
            # Serves the unread count of every page's header: one account's unread messages.
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="xiangcheng_message_unread"
            ),
        ]
        constraints = [
            # Nothing is sent twice: one digest per account and day.
            models.UniqueConstraint(
                fields=["recipient", "day"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message="该账号这一天的消息已生成。",
            ),
        ]

    def __str__(self):
        return self.subject
