from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xiangcheng.services import reminders_send


class Command(BaseCommand):
    help = (
        "每日待办提醒：为每个账号生成当天的待办摘要，写入站内消息；配置了 EMAIL_URL 时同时发送邮件。"
        "同一天重复运行不会重复生成或发送。由 cron 或 systemd 定时器每天运行一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="按哪一天生成（YYYY-MM-DD），默认今天。")

    def handle(self, day=None, **options):
        try:
            on = date.fromisoformat(day) if day else timezone.localdate()
        except ValueError as error:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from error
        sent = reminders_send(day=on)
        self.stdout.write(
            f"{on:%Y-%m-%d}：写入站内消息 {sent.written} 条，发送邮件 {sent.emailed} 封，发送失败 {sent.failed} 封。"
        )
        if sent.failed:
            raise CommandError(f"{sent.failed} 封邮件发送失败，下次运行时重试。")
