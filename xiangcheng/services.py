import logging
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangcheng.models import ClosedReport, Message
from xiangcheng.periods import QUARTER_NAMES, quarter_period
from xiangcheng.reports import SITE_NAME, build_report
from xiangcheng.scoping import has_scope
from xiangcheng.todos import Item, todo_list

logger = logging.getLogger(__name__)


@transaction.atomic
def report_close(*, year: int, quarter: int, organization, acting_user) -> ClosedReport:
    """Close a quarter for `organization`: store its report's numbers and files as they are now."""
    if quarter_period(year, quarter).end >= timezone.localdate():
        raise ValidationError(f"{year}年{QUARTER_NAMES[quarter]}尚未结束，不能关闭。")
    report = build_report(year, quarter, organization, acting_user)
    closed = ClosedReport(
        year=year,
        quarter=quarter,
        organization=organization,
        closed_by=acting_user,
        data=report.data(),
        xlsx=report.xlsx(),
        csv_zip=report.csv_zip(),
    )
    closed.full_clean()
    closed.save()
    return closed


@transaction.atomic
def report_reopen(*, closed_report: ClosedReport, reason: str, acting_user) -> ClosedReport:
    """Reopen a closed quarter: the stored report is kept, marked reopened by whom and why."""
    if closed_report.reopened_at is not None:
        raise ValidationError("该季度报表已经重新开放。")
    closed_report.reopened_at = timezone.now()
    closed_report.reopened_by = acting_user
    closed_report.reopen_reason = reason
    closed_report.full_clean(exclude=["data", "xlsx", "csv_zip"])
    closed_report.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    return closed_report


class RemindersSent(NamedTuple):
    """What one run of `reminders_send` did."""

    written: int
    emailed: int
    failed: int


def _digest_text(items: list[Item], *, links: bool) -> str:
    lines = [f"· {item.label}：{item.count}，{item.when}" for item in items]
    if links:
        lines = [f"{line}\n  {settings.SITE_URL}{item.url}" for line, item in zip(lines, items, strict=True)]
    return "\n".join(lines)


def message_write(*, recipient, day: date) -> Message | None:
    """The digest of what falls due in `recipient`'s scope on `day`, written into their inbox:
    None when nothing is due or a message of that day exists already (one per account and day;
    the database refuses a second even to a run beside this one)."""
    if Message.objects.filter(recipient=recipient, day=day).exists():
        return None
    items = todo_list(recipient, day)
    if not items:
        return None
    message = Message(
        recipient=recipient,
        day=day,
        subject=f"待办提醒：{day:%Y-%m-%d} 有 {len(items)} 项待办",
        body=_digest_text(items, links=False),
        items=[{**item.to_dict(), "when": item.when} for item in items],
    )
    # The day's uniqueness is the database's to decide: a run beside this one may get there first.
    message.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    return message


def message_email(*, message: Message) -> bool:
    """E-mail `message` to its recipient unless it went already; marked sent only once the mail
    server has taken it, so a failed send is tried again by the next run and a sent one never is.
    A run beside this one skips a message being sent (its row is locked)."""
    with transaction.atomic():
        locked = (
            # Only the message's row: the account's stays free for its sign-ins meanwhile.
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=message.pk, emailed_at__isnull=True)
            .select_related("recipient")
            .first()
        )
        if locked is None or not locked.recipient.email:
            return False
        # Days left as on the message's day, which the mail says it is written for.
        items = [Item.from_dict(item, locked.day) for item in locked.items]
        body = "\n\n".join(
            [
                f"{locked.recipient.get_short_name() or locked.recipient.get_username()}，您好：",
                f"截至 {locked.day:%Y-%m-%d}，您负责范围内有以下待办事项：",
                _digest_text(items, links=bool(settings.SITE_URL)),
                f"——{SITE_NAME}（此邮件由系统每日自动发送，请勿回复）",
            ]
        )
        send_mail(f"【{SITE_NAME}】{locked.subject}", body, None, [locked.recipient.email])
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
    return True


def reminders_send(*, day: date) -> RemindersSent:
    """Each active account with a scope gets the digest of `day` in its inbox (when something is
    due), and by e-mail where EMAIL_URL is set and the account has an address. Run again the same
    day, it writes and sends nothing new (but retries e-mails that failed)."""
    written = emailed = failed = 0
    for user in get_user_model().objects.filter(is_active=True).order_by("pk"):
        if not has_scope(user):
            continue
        written += message_write(recipient=user, day=day) is not None
        if not settings.EMAIL_URL or not user.email:
            continue
        for message in Message.objects.filter(recipient=user, day=day, emailed_at__isnull=True):
            try:
                emailed += message_email(message=message)
            except OSError:  # smtplib's errors included
                failed += 1
                logger.exception("Reminder e-mail to %s failed; the next run tries again.", user.get_username())
    return RemindersSent(written, emailed, failed)
