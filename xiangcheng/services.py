from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xiangcheng.models import ClosedReport
from xiangcheng.periods import quarter_period
from xiangcheng.reports import QUARTERS, build_report


@transaction.atomic
def report_close(*, year: int, quarter: int, organization, acting_user) -> ClosedReport:
    """Close a quarter for `organization`: store its report's numbers and files as they are now."""
    if quarter_period(year, quarter).end >= timezone.localdate():
        raise ValidationError(f"{year}年{QUARTERS[quarter]}尚未结束，不能关闭。")
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
