"""How long the audit trail stays in its live tables (AUDIT_RETENTION_MONTHS), and the legal floor.

Read by settings.py as it loads, so it imports nothing of the apps."""

import calendar
from datetime import date

from django.core.exceptions import ImproperlyConfigured

# The law asks for at least six months of logs (网络安全法 第二十一条).
MINIMUM_MONTHS = 6


def checked_retention(value) -> int:
    """`value` as a whole number of months; refused (ImproperlyConfigured) below the legal six."""
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"AUDIT_RETENTION_MONTHS 须为整数月数（现为 {value!r}）。") from None
    if months < MINIMUM_MONTHS:
        raise ImproperlyConfigured(
            f"审计记录须至少保留 {MINIMUM_MONTHS} 个月（法定最低要求），AUDIT_RETENTION_MONTHS={months} 过短，已拒绝。"
        )
    return months


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
