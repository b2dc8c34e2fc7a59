"""Exports compiled to SQL: every column of a resource becomes an expression of one `SELECT`, and
PostgreSQL writes the CSV itself (`COPY (…) TO STDOUT WITH (FORMAT csv)`).

What the per-cell Python path of django-import-export does for each cell is said once here, in
SQL, for the whole column:

- choices as their Chinese labels (`CASE`), dates as `YYYY-MM-DD`, booleans as 是/否;
- related rows by natural key (joins); many-to-many keys aggregated in key order;
- ID and mobile numbers masked unless the user may see them (the masks of validators.py), and
  full ones marked as text so a spreadsheet keeps every digit (`imex.TEXT_MARK`);
- text a spreadsheet would run as a formula prefixed with "'" (`imex.neutralize`);
- the user's scope in the `WHERE` clause (`visible()`), whatever the caller passed.

A column the generic rules cannot express is declared on its resource as a method
`sql_<field name>(self)` returning the column's value as an expression (rendered by the field's
widget like any other column). There is no per-row fallback: a resource with a column that
compiles to nothing fails loudly (`ImproperlyConfigured`), and a test compiles every resource.

The rows arrive through COPY with no server-side cursor, so exports also work behind PgBouncer
in transaction mode; `copy_chunks` turns psycopg2's push-style `copy_expert` into a generator
with a greenlet, so a download starts at once and memory stays flat however many rows it has.
"""

import csv
import io
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain, islice

from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, F, Func, OuterRef, Subquery, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Collate, NullIf
from django.db.models.lookups import Exact
from greenlet import greenlet
from import_export import widgets

from xiangcheng import imex, xlsx
from xiangcheng.imex import neutralize
from xiangcheng.scoping import visible
from xiangcheng.validators import MASK, MASK_KEEP

# Bytes gathered from COPY before a chunk is handed on (one CopyData message is one row).
CHUNK_BYTES = 64 * 1024


# The first characters imex.neutralize guards against, as code points: - = + @ tab CR.
FORMULA_CODES = ", ".join(str(ord(prefix)) for prefix in imex.FORMULA_PREFIXES)
QUOTE = "''''"  # the SQL literal of a single "'"
APOSTROPHE = ord("'")


class Neutralized(Func):
    """imex.neutralize in SQL: text starting with = + - @ tab or CR, or with "'"s before one, gets
    a leading "'" (a test of the first character's code point, so a cell costs a comparison, not
    a regular expression; only text starting with "'" is looked at further)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        template = (
            f"CASE WHEN ascii({sql}) IN ({FORMULA_CODES}) THEN {QUOTE} || {sql} "
            f"WHEN ascii({sql}) = {APOSTROPHE} AND ascii(ltrim({sql}, {QUOTE})) IN ({FORMULA_CODES}) "
            f"THEN {QUOTE} || {sql} ELSE {sql} END"
        )
        return template, params * template.count(sql)


class Masked(Func):
    """validators.mask_id_number / mask_mobile in SQL, neutralized unless told not to: `keep`
    is (leading, trailing) characters that stay, the rest become "*"; a value no longer than
    both together is all "*", so only a longer one can start like a formula."""

    output_field = TextField()

    def __init__(self, expression, *, keep: tuple[int, int], neutralize: bool = True):
        self.keep, self.neutralize = keep, neutralize
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        lead, tail = self.keep
        short = lead + tail
        usual = MASK_USUAL_LENGTH[self.keep]
        masked = f"left({sql}, {lead}) || repeat('{MASK}', length({sql}) - {short}) || right({sql}, {tail})"
        plain = f"ascii({sql}) NOT IN ({FORMULA_CODES})" if self.neutralize else "true"
        formula = f"WHEN ascii({sql}) IN ({FORMULA_CODES}) THEN {QUOTE} || {masked} " if self.neutralize else ""
        # The usual case first (18 characters for an ID number, 11 for a mobile): no repeat().
        template = (
            f"CASE WHEN length({sql}) = {usual} AND {plain} "
            f"THEN left({sql}, {lead}) || '{MASK * (usual - short)}' || right({sql}, {tail}) "
            f"WHEN length({sql}) <= {short} THEN repeat('{MASK}', length({sql})) {formula}ELSE {masked} END"
        )
        return template, params * template.count(sql)


# The usual length of each kind of number, by what its mask keeps (validators.MASK_KEEP).
MASK_USUAL_LENGTH = {(6, 1): 18, (3, 4): 11}


class AsText(Func):
    """A full personal number marked as text for a spreadsheet opening the CSV (imex.TEXT_MARK);
    empty stays empty. typed_rows takes the mark off again for XLSX, whose cells are typed."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CASE WHEN {sql} <> '' THEN chr({ord(imex.TEXT_MARK)}) || {sql} END", params * 2


class ChoiceLabel(Func):
    """ChoicesWidget.render in SQL, neutralized: the label of a stored choice (the labels are
    neutralized once, here), an unknown value as it is."""

    output_field = TextField()

    def __init__(self, expression, choices):
        self.choices = choices
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        unknown, unknown_params = compiler.compile(Neutralized(_text(self.source_expressions[0])))
        if not self.choices:
            return unknown, unknown_params
        value, value_params = compiler.compile(self.source_expressions[0])
        labels = " ".join("WHEN %s THEN %s" for _ in self.choices)
        choices = [part for stored, label in self.choices for part in (str(stored), neutralize(str(label)))]
        return f"CASE ({value})::text {labels} ELSE {unknown} END", [*value_params, *choices, *unknown_params]


class IsoDate(Func):
    """A date as YYYY-MM-DD: `date::text` under PostgreSQL's default ISO DateStyle (which psycopg2,
    and so Django, reads dates in anyway), at a third of the cost of `to_char`."""

    template = "(%(expressions)s)::text"
    output_field = TextField()


@dataclass(frozen=True)
class Column:
    """One exported column: its header, its text expression and how XLSX types its cells."""

    header: str
    value: object  # text, or NULL
    kind: str  # "text", "date", "integer" or "decimal"
    personal: bool = False  # an ID or mobile number: a text column in XLSX


def _text(expression):
    return Cast(expression, TextField())


def _many_keys(resource, field, kind):
    """The related rows' natural keys, joined by the widget's separator in key order."""
    model_field = resource._meta.model._meta.get_field(field.attribute)
    through = model_field.remote_field.through
    source, target = model_field.m2m_field_name(), model_field.m2m_reverse_field_name()
    key = F(f"{target}__{field.widget.field}")
    # The joined keys are neutralized as one text, as the Python path does.
    item = Masked(key, keep=MASK_KEEP[kind], neutralize=False) if kind else _text(key)
    keys = (
        through._default_manager.filter(**{source: OuterRef("pk")})
        .values(source)
        .annotate(keys=StringAgg(item, delimiter=field.widget.separator, order_by=Collate(key, "C")))
        .values("keys")
    )
    return Subquery(keys, output_field=TextField())


def _render(widget, value, model_field):
    """`value` as the widget renders it for CSV, and the XLSX kind of the column."""
    if isinstance(widget, imex.ChoicesWidget):
        return ChoiceLabel(value, widget.choices), "text"
    if isinstance(widget, widgets.DateWidget):
        return IsoDate(value), "date"
    if isinstance(widget, imex.BooleanWidget):
        yes, no = When(Exact(value, True), then=Value("是")), When(Exact(value, False), then=Value("否"))
        return Case(yes, no, output_field=TextField()), "text"
    if isinstance(widget, widgets.IntegerWidget):
        return _text(value), "integer"
    if isinstance(widget, widgets.DecimalWidget):
        return _text(value), "decimal"
    if isinstance(widget, widgets.ForeignKeyWidget | widgets.CharWidget) or type(widget) is widgets.Widget:
        internal = model_field.get_internal_type() if model_field is not None else "TextField"
        if internal == "DateField":
            return IsoDate(value), "date"
        if internal in {"CharField", "TextField", "SlugField", "EmailField"}:
            return value, "text"
        if internal in {"IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "BigIntegerField"}:
            return _text(value), "integer"
    raise ImproperlyConfigured(f"{type(widget).__name__} on {model_field} has no SQL rendering")


def compile_columns(resource, fields) -> list[Column]:
    """The columns `fields` (resource fields, in export order) export, as SQL expressions."""
    model = resource._meta.model
    full = resource.full_numbers
    columns = []
    for field in fields:
        name = resource.get_field_name(field)
        kind = resource._personal_kind(field)
        declared = getattr(resource, f"sql_{name}", None)
        if declared is not None:
            value, model_field = declared(), None
        elif isinstance(field.widget, imex.NaturalKeysWidget):
            text = Neutralized(_many_keys(resource, field, None if full else kind))
            columns.append(Column(str(field.column_name), AsText(text) if kind and full else text, "text", bool(kind)))
            continue
        else:
            if callable(field.get_dehydrate_method(name)) or hasattr(resource, field.get_dehydrate_method(name)):
                raise ImproperlyConfigured(
                    f"{type(resource).__name__}.{name} is computed in Python (dehydrate); declare sql_{name}()"
                )
            if not field.attribute:
                raise ImproperlyConfigured(f"{type(resource).__name__}.{name} has no attribute to select")
            attribute = field.attribute
            if isinstance(field.widget, widgets.ForeignKeyWidget):
                attribute = f"{attribute}__{field.widget.field}"
            try:
                model_field = get_fields_from_path(model, attribute)[-1]
            except (FieldDoesNotExist, NotRelationField):
                raise ImproperlyConfigured(
                    f"{type(resource).__name__}.{name}: {attribute} is not a model field"
                ) from None
            value = F(attribute)
        text, column_kind = _render(field.widget, value, model_field)
        if kind and not full:
            text = Masked(text, keep=MASK_KEEP[kind])
        elif column_kind in {"text", "integer", "decimal"} and not isinstance(text, ChoiceLabel):
            text = Neutralized(text)
        if kind and full:
            text = AsText(text)
        columns.append(Column(str(field.column_name), text, column_kind, personal=bool(kind)))
    return columns


def _base(queryset):
    """The rows to export, without annotations that would group them: a list annotated with an
    aggregate (a count per row) exports the same rows, selected by primary key."""
    if not any(annotation.contains_aggregate for annotation in queryset.query.annotations.values()):
        return queryset
    annotations = set(queryset.query.annotations)
    ordering = [
        term
        for term in (queryset.query.order_by or queryset.model._meta.ordering)
        if isinstance(term, str) and term.lstrip("-") not in annotations
    ]
    rows = queryset.model._default_manager.filter(pk__in=queryset.order_by().values("pk"))
    return rows.order_by(*ordering, "pk")


def export_sql(resource, queryset, fields) -> tuple[str, list[Column]]:
    """The one `SELECT` of an export, with its parameters inlined (COPY takes none)."""
    columns = compile_columns(resource, fields)
    rows = visible(_base(queryset), resource.user)
    # COPY writes NULL as an empty field and '' as "", the csv module both as an empty field,
    # except a lone empty field on its line, which it writes as "".
    if len(columns) == 1:
        aliases = {"export_0": Coalesce(columns[0].value, Value(""), output_field=TextField())}
    else:
        aliases = {
            # A date's text is never empty, so it needs no NULLIF.
            f"export_{index}": column.value
            if column.kind == "date"
            else NullIf(column.value, Value(""), output_field=TextField())
            for index, column in enumerate(columns)
        }
    try:
        # Compiled for the database the rows are read from (a read replica's, xiangcheng/replicas.py).
        query = rows.annotate(**aliases).values_list(*aliases).query
        sql, params = query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        # Nothing to see (a user with no role): the header alone.
        return "SELECT 1 WHERE false", columns
    with connections[queryset.db].cursor() as cursor:
        return cursor.mogrify(sql, params).decode(), columns


def header_line(headers) -> bytes:
    """The BOM (so Excel and WPS read UTF-8) and the Chinese header line, as COPY ends lines."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([neutralize(header) for header in headers])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class _Sink:
    """The file psycopg2's copy_expert writes to: hands each gathered chunk to the consumer."""

    def __init__(self, consumer):
        self.consumer = consumer
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data):
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self):
        if self.parts:
            chunk = b"".join(self.parts)
            self.parts, self.size = [], 0
            self.consumer.switch(chunk)


def copy_chunks(sql: str, using: str = DEFAULT_DB_ALIAS) -> Iterator[bytes]:
    """The CSV bytes of `COPY (sql) TO STDOUT` on database `using`, as they come, in chunks of
    about CHUNK_BYTES.

    copy_expert pushes into a file; a greenlet turns that into a generator without a thread or
    a second connection. A consumer that stops early (a closed download) lets the COPY run to
    its end unread, so the connection is left in a usable state."""
    consumer = greenlet.getcurrent()
    # Looked up here, not in the greenlet: a greenlet runs in a context of its own, where
    # Django's connections held in context variables would be other, new ones.
    connection = connections[using]

    def run():
        sink = _Sink(consumer)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", sink)
        sink.flush()

    producer = greenlet(run)
    finished = False
    try:
        while True:
            chunk = producer.switch()
            if producer.dead:
                finished = True
                return
            yield chunk
    finally:
        while not finished and not producer.dead:
            producer.switch()


def stream_csv(resource, queryset, export_fields=None) -> Iterator[bytes]:
    """The CSV export of `queryset` through `resource`: BOM and header at once, then COPY's rows."""
    # The database is chosen now, in the view: a streamed file's rows are read after it returned,
    # when a read replica is no longer the request's (xiangcheng/replicas.py).
    return _stream_csv(resource, queryset.using(queryset.db), export_fields)


def _stream_csv(resource, queryset, export_fields):
    fields = resource.get_export_fields(export_fields)
    # The header before any query, so the download begins at once.
    yield header_line(str(field.column_name) for field in fields)
    sql, _ = export_sql(resource, queryset, fields)
    yield from copy_chunks(sql, queryset.db)


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks, for csv.reader through TextIOWrapper."""

    def __init__(self, chunks):
        self.chunks, self.pending = iter(chunks), b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            self.pending = next(self.chunks, None)
            if self.pending is None:
                self.pending = b""
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


_CONVERTERS = {"date": date.fromisoformat, "integer": int, "decimal": Decimal}


def _unmarked(value: str) -> str:
    return value.removeprefix(imex.TEXT_MARK)


def typed_rows(resource, queryset, export_fields=None) -> tuple[list[Column], Iterator[list]]:
    """The same rows as `stream_csv`, read back from the same COPY as typed values for XLSX:
    dates as dates and numbers as numbers; ID and mobile numbers stay text."""
    fields = resource.get_export_fields(export_fields)
    sql, columns = export_sql(resource, queryset, fields)
    converters = [_unmarked if column.personal else _CONVERTERS.get(column.kind) for column in columns]

    def rows():
        chunks = copy_chunks(sql, queryset.db)
        text = io.TextIOWrapper(io.BufferedReader(_ChunkReader(chunks)), encoding="utf-8", newline="")
        for row in csv.reader(text):
            yield [
                (convert(value) if convert else value) if value != "" else None
                for value, convert in zip(row, converters, strict=True)
            ]

    return columns, rows()


# Column widths in characters, by what a column holds; text columns follow their content.
_WIDTHS = {"date": 12, "integer": 10, "decimal": 14}
_PERSONAL_WIDTH = 21
# Text columns are as wide as the widest of their header and their first rows, up to a limit.
WIDTH_SAMPLE_ROWS = 500
MAX_TEXT_WIDTH = 50


def _display_width(value) -> int:
    """Characters a spreadsheet shows `value` in, a Chinese character counting as two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(value or ""))


def _widths(columns, sample) -> list[int]:
    widths = []
    for index, column in enumerate(columns):
        if column.personal:
            widths.append(_PERSONAL_WIDTH)
        elif column.kind in _WIDTHS:
            widths.append(max(_WIDTHS[column.kind], _display_width(column.header) + 2))
        else:
            widest = max([_display_width(column.header), *(_display_width(row[index]) for row in sample)])
            widths.append(min(max(widest + 2, 8), MAX_TEXT_WIDTH))
    return widths


def xlsx_file(resource, queryset, export_fields=None):
    """The XLSX export of the same rows as `stream_csv`, written as they come (xiangcheng/xlsx.py,
    so memory stays flat up to Excel's 1,048,576 rows): a frozen bold header, dates as date
    cells, numbers as numbers, everything else (ID and mobile numbers included) as text, never
    as formulas, each text column as wide as its header and first rows need. Returns an open
    temporary file at its start."""
    columns, rows = typed_rows(resource, queryset, export_fields)
    personal = {index for index, column in enumerate(columns) if column.personal}
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    widths = _widths(columns, sample)
    rows = chain(sample, rows)
    output = tempfile.TemporaryFile()
    xlsx.write_sheet(
        output,
        title=str(resource._meta.model._meta.verbose_name_plural),
        headers=[column.header for column in columns],
        widths=widths,
        text_columns=personal,
        rows=rows,
    )
    output.seek(0)
    return output
