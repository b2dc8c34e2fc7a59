from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from xiangcheng import reports
from xiangcheng.models import Message

register = template.Library()


@register.filter
def number(value):
    """Thousands separated, as the department writes figures: 25,180 and 1,500,000.00. Text that
    holds a number (a closed report stores amounts as text) is shown the same way; other text
    passes unchanged."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except InvalidOperation:
            return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value.as_tuple().exponent < 0 else f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return value


@register.simple_tag
def report_cell(cell, label=False):
    """One cell of a report table: a label, or a number linking to the list it counts."""
    text = cell.value if label else number(cell.value)
    if cell.url:
        return format_html('<a href="{}">{}</a>', cell.url, text)
    return format_html("{}", text)


@register.filter
def percent(value):
    """0.853 as 85.3%; None (nothing expected yet) as a dash."""
    return reports.percent(value)


register.filter("on_screen", reports.on_screen)


@register.simple_tag
def unread_messages(user) -> int:
    """How many messages of `user`'s inbox are unread: one query on a partial index."""
    return Message.objects.filter(recipient=user).unread().count() if user.is_authenticated else 0
