import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessLog(models.Model):
    """An append-only record of every export and every view of a full personal number."""

    class Action(models.TextChoices):
        EXPORT = "export", "导出"
        VIEW_FULL_NUMBER = "view_full_number", "查看完整证件号/手机号"

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
