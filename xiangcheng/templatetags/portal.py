import html
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html, format_html_join
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


def _escaped(value) -> str:
    """`conditional_escape` without Django's lazy-text wrapper, which took a third of a long
    report table's page: a table of a hundred rows escapes a thousand cells."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def report_cell(cell, label=False) -> str:
    """One cell of a report table, as HTML: a label, or a number linking to the list it counts."""
    text = _escaped(cell.value if label else number(cell.value))
    return f'<a href="{_escaped(cell.url)}">{text}</a>' if cell.url else text


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


# The lookups a report's link puts on a list besides its filters (year__exact=2026,
# done_on__year=2026, start__gte=2026-10-01), said the way the sidebar would say them.
LOOKUP_WORDS = {"exact": "", "year": "（年）", "gte": "（起）", "lte": "（止）"}


@register.simple_tag
def active_filters(cl) -> list[tuple[str, str]]:
    """(title, chosen) of each filter and lookup a list is narrowed by: what a list opened from a
    number shows, said above its rows (its sidebar is below them on a phone)."""
    from django.contrib.admin.utils import NotRelationField, get_fields_from_path
    from django.core.exceptions import FieldDoesNotExist
    from django.db.models.constants import LOOKUP_SEP

    found, consumed = [], set()
    for spec in cl.filter_specs:
        used = getattr(spec, "used_parameters", None)
        if not used:
            continue
        consumed |= set(used)
        chosen = [str(choice["display"]) for choice in spec.choices(cl) if choice.get("selected")]
        if chosen:
            found.append((str(spec.title), "、".join(chosen)))
    for key, value in cl.params.items():
        path, _, lookup = key.rpartition(LOOKUP_SEP)
        if key in consumed or lookup not in LOOKUP_WORDS or not path:
            continue
        try:
            field = get_fields_from_path(cl.model, path)[-1]
        except (FieldDoesNotExist, NotRelationField):
            continue
        shown = value[-1] if isinstance(value, list) else value
        shown = str(dict(field.flatchoices).get(shown, shown)) if getattr(field, "flatchoices", None) else shown
        found.append((f"{field.verbose_name}{LOOKUP_WORDS[lookup]}", shown))
    return found
