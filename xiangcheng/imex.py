"""The import/export base (django-import-export), used by every app.

- CSV and XLSX only. CSV export is UTF-8 with a BOM; CSV import reads UTF-8 (with or without
  BOM) and GB18030/GBK.
- Headers are the fields' Chinese names; choices travel as their Chinese labels; related rows
  are matched by their natural key (a code or a name), never by database id.
- Exported text that a spreadsheet would run as a formula is neutralized with a leading "'".
- A file is checked before any row is read (size, encoding, headers, row count); rows are then
  validated in one transaction, and any invalid row rolls the whole import back.
"""

import csv
import io
import uuid
from datetime import timedelta

import tablib
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.tmp_storages import BaseStorage

from xiangcheng.scoping import is_scoped
from xiangcheng.validators import MASKS

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 30_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ImportRefused(ValueError):
    """A file refused before any row is read; the message is shown to the user as it is."""


def neutralize(value):
    """Prefix text that a spreadsheet would run as a formula with "'"; leave other values alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def decode_csv(data: bytes) -> str:
    if b"\x00" in data:
        raise ImportRefused(_ENCODING_HELP)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_ENCODING_HELP)


_ENCODING_HELP = "无法识别文件编码。请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”或普通 CSV（GBK），或直接上传 XLSX。"


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
        dataset = self.read_dataset(in_stream)
        self.check_headers(dataset)
        if dataset.height > MAX_IMPORT_ROWS:
            raise ImportRefused(
                f"文件有 {dataset.height} 行数据，超过单次导入上限 {MAX_IMPORT_ROWS} 行，请拆分后导入。"
            )
        if dataset.height == 0:
            raise ImportRefused("文件中没有数据行。")
        return dataset

    def check_headers(self, dataset):
        headers = [str(header or "").strip() for header in (dataset.headers or [])]
        dataset.headers = headers
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

    def read_dataset(self, in_stream):
        text = decode_csv(in_stream)
        reader = csv.reader(io.StringIO(text))
        rows = [row for row in reader if any(cell.strip() for cell in row)]
        if not rows:
            raise ImportRefused("文件是空的。")
        dataset = tablib.Dataset(headers=rows[0])
        for row in rows[1:]:
            if len(row) != len(rows[0]):
                row = (row + [""] * len(rows[0]))[: len(rows[0])]
            dataset.append(row)
        return dataset

    def export_data(self, dataset, **kwargs):
        # The BOM lets Excel and WPS recognise UTF-8 and show Chinese.
        return ("\ufeff" + self.neutralized(dataset).export("csv")).encode("utf-8")


class XLSXFormat(SafeFormat, base_formats.XLSX):
    native_types = True

    def get_title(self):
        return "xlsx"

    def read_dataset(self, in_stream):
        try:
            dataset = super(SafeFormat, self).create_dataset(in_stream)
        except Exception:
            raise ImportRefused("无法读取 XLSX 文件，请确认文件未损坏且是 .xlsx 格式。") from None
        # Spreadsheets often carry empty trailing columns and rows.
        keep = [i for i, header in enumerate(dataset.headers) if header not in (None, "")]
        cleaned = tablib.Dataset(headers=[dataset.headers[i] for i in keep])
        for row in dataset:
            values = [row[i] for i in keep]
            if any(value not in (None, "") for value in values):
                cleaned.append(["" if value is None else value for value in values])
        return cleaned

    def export_data(self, dataset, **kwargs):
        # Text starting with "=" would otherwise be written as a formula.
        return super().export_data(self.neutralized(dataset), **kwargs)


class DatabaseStorage(BaseStorage):
    """Keeps an uploaded file in the database between preview and confirm (no file on disk)."""

    def save(self, data):
        from xiangcheng.models import ImportUpload

        ImportUpload.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
        self.name = self.name or uuid.uuid4().hex
        ImportUpload.objects.update_or_create(name=self.name, defaults={"data": data})

    def read(self):
        from xiangcheng.models import ImportUpload

        return bytes(ImportUpload.objects.get(name=self.name).data)

    def remove(self):
        from xiangcheng.models import ImportUpload

        ImportUpload.objects.filter(name=self.name).delete()


class ChoicesWidget(widgets.Widget):
    """Exports a choice as its Chinese label and imports it from the label (or the stored value)."""

    def __init__(self, choices, **kwargs):
        self.choices = [(str(value), str(label)) for value, label in choices]
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


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """Matches a related row by its natural key, within what the importing user may see."""

    user = None

    def get_queryset(self, value, row, *args, **kwargs):
        queryset = self.model._default_manager.all()
        if is_scoped(self.model):
            queryset = queryset.visible_to(self.user)
        return queryset

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"找不到{self.model._meta.verbose_name}“{value}”，或不在您的权限范围内。") from None


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """Many related rows by natural key, separated by commas, within what the user may see."""

    user = None

    def clean(self, value, row=None, **kwargs):
        keys = [key.strip() for key in str(value or "").replace("，", ",").split(",") if key.strip()]
        queryset = self.model._default_manager.all()
        if is_scoped(self.model):
            queryset = queryset.visible_to(self.user)
        found = queryset.filter(**{f"{self.field}__in": keys})
        missing = set(keys) - {str(getattr(obj, self.field)) for obj in found}
        if missing:
            raise ValueError(
                f"找不到{self.model._meta.verbose_name}“{'、'.join(sorted(missing))}”，或不在您的权限范围内。"
            )
        return found


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
        return field

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.choices:
            return ChoicesWidget
        if f.many_to_many and hasattr(f.related_model, "natural_key_field"):
            return NaturalKeysWidget
        if f.is_relation and hasattr(f.related_model, "natural_key_field"):
            return NaturalKeyWidget
        if f.get_internal_type() == "BooleanField":
            return BooleanWidget
        return super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if django_field.choices:
            kwargs["choices"] = django_field.choices
        if django_field.is_relation and hasattr(django_field.related_model, "natural_key_field"):
            kwargs["model"] = django_field.related_model
            kwargs["field"] = django_field.related_model.natural_key_field
        return kwargs

    def get_queryset(self):
        queryset = super().get_queryset()
        if is_scoped(self._meta.model):
            queryset = queryset.visible_to(self.user)
        return queryset

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        kind = getattr(self._meta.model, "personal_fields", {}).get(field.attribute)
        if kind and value and not can_see_full_numbers(self.user):
            return MASKS[kind](value)
        return value

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False
        use_transactions = True


def can_see_full_numbers(user) -> bool:
    return bool(user and user.has_perm("xiangcheng.view_full_numbers"))


__all__ = ["ScopedResource", "CSVFormat", "XLSXFormat", "DatabaseStorage", "ImportRefused", "fields"]
