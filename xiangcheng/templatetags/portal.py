from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from xiangcheng import reports
from xiangcheng.models import Message
from xiangcheng.people import account_name

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
        # Its own decimals (an average of 9.5 days, an amount of 1,500,000.00), two at most.
        return f"{value:,.2f}" if value.as_tuple().exponent < -2 else f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return value


def report_cell(cell, label=False) -> str:
    """One cell of a report table, as HTML: a label, or a number linking to the list it counts."""
    text = conditional_escape(cell.value if label else number(cell.value))
    return f'<a href="{conditional_escape(cell.url)}">{text}</a>' if cell.url else text


def report_row(row, labels: int = 1, css: str = "") -> str:
    """A table row as HTML: its first cell names it, as do the next `labels` - 1 (text); the
    others are numbers."""
    first, *rest = row
    cells = "".join(
        f"<td>{report_cell(cell, label=True)}</td>"
        if column < labels - 1
        else f'<td class="number">{report_cell(cell)}</td>'
        for column, cell in enumerate(rest)
    )
    return f'<tr{css}><th scope="row">{report_cell(first, label=True)}</th>{cells}</tr>'


@register.simple_tag
def report_headers(table):
    """The header row of a report table: the columns of numbers marked so, to align with them."""
    return format_html_join(
        "",
        '<th scope="col"{}>{}</th>',
        (
            (mark_safe(' class="number"') if column >= table.labels else "", header)
            for column, header in enumerate(table.headers)
        ),
    )


@register.simple_tag
def report_rows(table):
    """The rows of a report table the page shows, and its total, as HTML: written here rather
    than as a loop over cells in the template, which took most of a long table's page."""
    rows = [report_row(row, table.labels) for row in reports.on_screen(table.rows)]
    if not rows:
        rows = [format_html('<tr><td colspan="{}">本期无数据。</td></tr>', len(table.headers))]
    if table.total:
        rows.append(report_row(table.total, table.labels, ' class="total"'))
    return mark_safe("\n".join(rows))


@register.filter
def percent(value):
    """0.853 as 85.3%; None (nothing expected yet) as a dash."""
    return reports.percent(value)


register.filter("on_screen", reports.on_screen)
register.filter("account_name", account_name)


@register.simple_tag
def unread_messages(user) -> int:
    """How many messages of `user`'s inbox are unread: one query on a partial index."""
    return Message.objects.filter(recipient=user).unread().count() if user.is_authenticated else 0
