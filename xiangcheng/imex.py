"""The import/export base (django-import-export), used by every app.

- CSV and XLSX only. CSV export is UTF-8 with a BOM; CSV import reads UTF-8 (with or without
  BOM) and GB18030/GBK.
- Headers are the fields' Chinese names; choices travel as their Chinese labels; related rows
  are matched by their natural key (a code or a name), never by database id.
- Exported text that a spreadsheet would run as a formula is neutralized with a leading "'".
- A file is checked before any row is read (size, encoding, headers, row count); rows are then
  validated in one transaction, and any invalid row rolls the whole import back.
- Large exports: a CSV export of more than STREAM_CSV_FROM_ROWS rows streams row by row
  (`stream_csv`: constant memory, the header arrives at once, no request timeout); an XLSX
  export of more than MAX_XLSX_ROWS rows is refused with a message suggesting CSV.
"""

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import openpyxl
import tablib
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property
from import_export import resources, widgets
from import_export.formats import base_formats
from import_export.tmp_storages import BaseStorage

from xiangcheng.models import ImportUpload
from xiangcheng.scoping import can_see_full_numbers, visible
from xiangcheng.validators import MASKS

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 30_000
# Exports: above this many rows a CSV streams; above MAX_XLSX_ROWS an XLSX (built in memory) is refused.
STREAM_CSV_FROM_ROWS = 5_000
MAX_XLSX_ROWS = 200_000
# Rows fetched per round trip while streaming (a server-side cursor, so memory stays flat).
STREAM_CHUNK_ROWS = 2_000
# Bytes gathered before a streamed chunk is sent.
STREAM_FLUSH_BYTES = 64 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ImportRefused(ValueError):
    """A file refused before any row is read; the message is shown to the user as it is."""


def neutralize(value):
    """Prefix text that a spreadsheet would run as a formula with "'"; leave other values alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


_ENCODING_HELP = "无法识别文件编码。请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”或普通 CSV（GBK），或直接上传 XLSX。"


def decode_csv(data: bytes) -> str:
    if b"\x00" in data:
        raise ImportRefused(_ENCODING_HELP)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_ENCODING_HELP)


def _blank(value) -> bool:
    return value is None or str(value).strip() == ""


def build_dataset(rows: list[list]) -> tablib.Dataset:
    """The first non-blank row is the header. Blank rows and the empty trailing columns that
    spreadsheets often carry are dropped; a row with values beyond the header is refused."""
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if not all(map(_blank, row))]
    if not numbered:
        raise ImportRefused("文件是空的。")
    (_, header), body = numbered[0], numbered[1:]
    width = len(header)
    while width and _blank(header[width - 1]):
        width -= 1
    dataset = tablib.Dataset(headers=[str(cell or "").strip() for cell in header[:width]])
    for number, row in body:
        if not all(map(_blank, row[width:])):
            raise ImportRefused(f"第 {number} 行的数据超出了表头的列数，请给这些列加上表头或删除它们。")
        cells = ["" if cell is None else cell for cell in row[:width]]
        dataset.append(cells + [""] * (width - len(cells)))
    return dataset


class SafeFormat:
    """Checks shared by the CSV and XLSX formats; `headers` is set per admin (see ImportExportAdmin)."""

    headers: tuple = ()
    required_headers: tuple = ()

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream):
        if len(in_stream) > MAX_IMPORT_BYTES:
            raise ImportRefused(f"文件超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MB，请拆分后分批导入。")
        dataset = build_dataset(self.read_rows(in_stream))
        self.check_headers(dataset)
        if dataset.height > MAX_IMPORT_ROWS:
            raise ImportRefused(
                f"文件有 {dataset.height} 行数据，超过单次导入上限 {MAX_IMPORT_ROWS} 行，请拆分后导入。"
            )
        if dataset.height == 0:
            raise ImportRefused("文件中没有数据行。")
        return dataset

    def check_headers(self, dataset):
        headers = dataset.headers
        unknown = [header for header in headers if header not in self.headers]
        if unknown:
            raise ImportRefused(
                f"无法识别的列：{'、'.join(unknown) or '（空表头）'}。可用的列：{'、'.join(self.headers)}。"
            )
        missing = [header for header in self.required_headers if header not in headers]
        if missing:
            raise ImportRefused(f"缺少必需的列：{'、'.join(missing)}。")
        if len(set(headers)) != len(headers):
            raise ImportRefused("表头有重复的列，请删除重复列后重新导入。")

    def neutralized(self, dataset):
        safe = tablib.Dataset(headers=[neutralize(header) for header in dataset.headers])
        for row in dataset:
            safe.append([neutralize(cell) for cell in row])
        return safe


class CSVFormat(SafeFormat, base_formats.CSV):
    native_types = False

    def get_title(self):
        return "csv"

    def read_rows(self, in_stream):
        return list(csv.reader(io.StringIO(decode_csv(in_stream))))

    def export_data(self, dataset, **kwargs):
        # The BOM lets Excel and WPS recognise UTF-8 and show Chinese.
        return ("\ufeff" + self.neutralized(dataset).export("csv")).encode("utf-8")


class XLSXFormat(SafeFormat, base_formats.XLSX):
    native_types = True

    def get_title(self):
        return "xlsx"

    def read_rows(self, in_stream):
        try:
            book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
            return [list(row) for row in book.active.iter_rows(values_only=True)]
        except Exception:
            raise ImportRefused("无法读取 XLSX 文件，请确认文件未损坏且是 .xlsx 格式。") from None

    def export_data(self, dataset, **kwargs):
        # Text starting with "=" would otherwise be written as a formula.
        return super().export_data(self.neutralized(dataset), **kwargs)


class DatabaseStorage(BaseStorage):
    """Keeps an uploaded file in the database between preview and confirm (no file on disk)."""

    def save(self, data):
        ImportUpload.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
        self.name = self.name or uuid.uuid4().hex
        ImportUpload.objects.update_or_create(name=self.name, defaults={"data": data})

    def read(self):
        return bytes(ImportUpload.objects.get(name=self.name).data)

    def remove(self):
        ImportUpload.objects.filter(name=self.name).delete()


class ChoicesWidget(widgets.Widget):
    """Exports a choice as its Chinese label and imports it from the label (or the stored value)."""

    def __init__(self, choices, **kwargs):
        self.choices = [(str(value), str(label)) for value, label in choices]
        # Blank choices import as "" (see clean), whatever CharWidget's allow_blank would say.
        kwargs.pop("allow_blank", None)
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        value = str(value or "").strip()
        if not value:
            return ""
        for stored, label in self.choices:
            if value in (label, stored):
                return stored
        raise ValueError(f"“{value}”不是有效选项，可选：{'、'.join(label for _, label in self.choices)}。")

    def render(self, value, obj=None, **kwargs):
        return dict(self.choices).get(str(value), "" if value is None else value)


def _not_found(model, keys) -> ValueError:
    return ValueError(f"找不到{model._meta.verbose_name}“{'、'.join(map(str, keys))}”，或不在您的权限范围内。")


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """Matches a related row by its natural key, within what the importing user may see. Each key
    is looked up once per import: a 25,000-row roster names about a thousand organizations."""

    user = None

    def get_queryset(self, value, row, *args, **kwargs):
        return visible(self.model._default_manager.all(), self.user)

    def clean(self, value, row=None, **kwargs):
        cache = self.__dict__.setdefault("_found", {})
        key = str(value).strip() if value is not None else value
        if key not in cache:
            try:
                cache[key] = super().clean(value, row, **kwargs)
            except self.model.DoesNotExist:
                cache[key] = None
                raise _not_found(self.model, [value]) from None
        if cache[key] is None and key:
            raise _not_found(self.model, [value])
        return cache[key]


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """Many related rows by natural key, separated by commas, within what the user may see."""

    user = None

    def clean(self, value, row=None, **kwargs):
        keys = [key.strip() for key in str(value or "").replace("，", ",").split(",") if key.strip()]
        found = visible(self.model._default_manager.all(), self.user).filter(**{f"{self.field}__in": keys})
        missing = set(keys) - {str(getattr(obj, self.field)) for obj in found}
        if missing:
            raise _not_found(self.model, sorted(missing))
        return found


DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"]


class DateWidget(widgets.DateWidget):
    """Dates as Excel and WPS users type them; XLSX date cells arrive as dates already."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        for date_format in DATE_FORMATS:
            try:
                return datetime.strptime(text, date_format).date()  # noqa: DTZ007 (a date, no time zone)
            except ValueError:
                continue
        raise ValueError(f"“{text}”不是有效日期，请写成 2020-05-17 这样的格式。")


class ChineseNumberMessage:
    """Numbers the library cannot parse get a Chinese message (and a validation error, not a crash)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (ValueError, ArithmeticError):
            raise ValueError(f"“{value}”不是有效数字。") from None


class IntegerWidget(ChineseNumberMessage, widgets.IntegerWidget):
    pass


class DecimalWidget(ChineseNumberMessage, widgets.DecimalWidget):
    pass


class BooleanWidget(widgets.BooleanWidget):
    TRUE_VALUES = ["1", 1, True, "true", "TRUE", "True", "是", "有", "Y", "y"]
    FALSE_VALUES = ["0", 0, False, "false", "FALSE", "False", "否", "无", "N", "n"]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "是" if value else "否"


class ScopedResource(resources.ModelResource):
    """The base of every resource: Chinese headers, labels for choices, natural keys, scoping
    and masking of personal numbers for the user the resource is made for."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field.widget, NaturalKeyWidget | NaturalKeysWidget):
                field.widget.user = user

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        field.column_name = str(django_field.verbose_name)
        if django_field.many_to_one and hasattr(django_field.related_model, "natural_key_field"):
            # The library would read and write the raw id ("organization_id") and export it as a
            # number; a natural key travels both ways instead.
            field.attribute = field_name
            field.widget.key_is_id = False
        return field

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.choices:
            return ChoicesWidget
        if f.many_to_many and hasattr(f.related_model, "natural_key_field"):
            return NaturalKeysWidget
        if f.is_relation and hasattr(f.related_model, "natural_key_field"):
            return NaturalKeyWidget
        internal_type = f.get_internal_type()
        if internal_type == "BooleanField":
            return BooleanWidget
        if internal_type == "DateField":
            return DateWidget
        if internal_type == "DecimalField":
            return DecimalWidget
        if internal_type in {"IntegerField", "PositiveIntegerField", "SmallIntegerField", "BigIntegerField"}:
            return IntegerWidget
        return super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if django_field.choices:
            # ChoicesWidget reads a blank cell itself; the library's options for blank CharFields
            # (allow_blank, coerce_to_string) are not its arguments.
            kwargs = {"choices": django_field.choices}
        if django_field.is_relation and hasattr(django_field.related_model, "natural_key_field"):
            kwargs["model"] = django_field.related_model
            kwargs["field"] = django_field.related_model.natural_key_field
        return kwargs

    def get_queryset(self):
        return visible(super().get_queryset(), self.user)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The library's check, minus what the widgets already proved: a related row matched by
        its natural key within the user's scope exists, so `full_clean` need not query for it
        again. `Meta.validate_constraints = False` skips the per-row constraint queries of a
        model whose `clean()` checks the same rules (the database still enforces them)."""
        errors = dict(import_validation_errors or {})
        matched = {
            field.attribute
            for field in self.fields.values()
            if isinstance(field.widget, NaturalKeyWidget) and getattr(instance, field.attribute, None) is not None
        }
        try:
            instance.full_clean(
                exclude={*errors, *matched},
                validate_unique=validate_unique,
                validate_constraints=getattr(self._meta, "validate_constraints", True),
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.validation_error is not None:
            row_result.validation_error = self.by_column(row_result.validation_error)
        return row_result

    def by_column(self, error: ValidationError) -> ValidationError:
        """Key a row's errors by the Chinese column names the user sees, not by field names."""
        if not hasattr(error, "error_dict"):
            return error
        names = {field.name: str(field.verbose_name) for field in self._meta.model._meta.fields}
        for name, field in self.fields.items():
            names[name] = names[field.attribute] = field.column_name
        return ValidationError({names.get(key, key): messages for key, messages in error.message_dict.items()})

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        kind = self._personal_kind(field)
        if kind and value and not self.full_numbers:
            if isinstance(field.widget, NaturalKeysWidget):
                return field.widget.separator.join(MASKS[kind](key) for key in str(value).split(field.widget.separator))
            return MASKS[kind](value)
        return value

    @cached_property
    def full_numbers(self) -> bool:
        """Whether the user may see personal numbers unmasked: asked once per export, not per cell."""
        return can_see_full_numbers(self.user)

    def _personal_kind(self, field) -> str | None:
        """The kind of personal number a column holds: the model's own, or a related row's natural
        key when that key is a personal number (a member linked by ID number)."""
        kind = getattr(self._meta.model, "personal_fields", {}).get(field.attribute)
        if kind is None and isinstance(field.widget, NaturalKeyWidget | NaturalKeysWidget):
            kind = getattr(field.widget.model, "personal_fields", {}).get(field.widget.field)
        return kind

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False
        use_transactions = True


def related_lookups(model, fields) -> tuple[list[str], list[str]]:
    """The relations that exporting `fields` (resource fields) reads, split into what
    `select_related` can join and what needs `prefetch_related`, so an export costs a fixed
    number of queries however many rows it has."""
    joined, prefetched = set(), set()
    for field in fields:
        current, path, many = model, [], False
        for part in (field.attribute or "").split("__"):
            try:
                model_field = current._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if not model_field.is_relation:
                break
            path.append(part)
            many = many or model_field.many_to_many or model_field.one_to_many
            current = model_field.related_model
        if path:
            (prefetched if many else joined).add("__".join(path))
    return sorted(joined), sorted(prefetched)


def stream_csv(resource, queryset, **kwargs) -> Iterator[bytes]:
    """Export `queryset` through `resource` as CSV, row by row: the same bytes as
    `CSVFormat().export_data(resource.export(queryset, **kwargs))` (BOM, headers, masking,
    formulas neutralized) in constant memory. The header is yielded before the first query, so
    the download begins at once. `kwargs` are those `resource.export` takes (`export_fields`…)."""
    selected = kwargs.get("export_fields")
    fields = resource.get_export_fields(selected)
    joined, prefetched = related_lookups(resource._meta.model, fields)
    resource.before_export(queryset, **kwargs)
    queryset = resource.filter_export(queryset, **kwargs)
    if joined:
        queryset = queryset.select_related(*joined)
    if prefetched:
        queryset = queryset.prefetch_related(*prefetched)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralize(header) for header in resource.get_export_headers(selected_fields=selected)])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    # Inside a transaction the server-side cursor is a plain one; outside, PostgreSQL would have to
    # materialize the whole result (WITH HOLD) before the first row comes.
    with transaction.atomic():
        for instance in queryset.iterator(chunk_size=STREAM_CHUNK_ROWS):
            # export_resource() without looking the fields up again for every row.
            writer.writerow([neutralize(resource.export_field(field, instance, **kwargs)) for field in fields])
            if buffer.tell() >= STREAM_FLUSH_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
