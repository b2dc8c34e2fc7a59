"""The template each import page offers (下载导入模板): an XLSX to fill in and upload.

Built from the resource alone, so every list that takes imports gets its template from here:
- the columns an import writes, headed exactly as the import reads them, the header row frozen,
  the required ones (`ScopedResource.required_headers`) in red with a note;
- ID and mobile number columns (`personal_fields`) formatted as text for the whole column, so an
  18-digit number keeps every digit;
- drop-down lists of what the import accepts: choice labels, and the related rows the user may
  see (the widget's own scoped queryset, the one the import matches against), on a hidden sheet
  (Excel allows inline lists of only 255 characters);
- one example row, marked as such, that the import accepts as it is.
"""

import io
from datetime import date

import openpyxl
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from stdnum.cn import ric

from xiangcheng.imex import (
    BooleanWidget,
    ChoicesWidget,
    DateWidget,
    NaturalKeysWidget,
    NaturalKeyWidget,
    ScopedResource,
)
from xiangcheng.people import IdentifiedByIdNumber
from xiangcheng.scoping import can_see_full_numbers
from xiangcheng.validators import id_birth_date, id_sex

LISTS_SHEET = "下拉选项"
# The last row of a sheet: drop-downs and text formats hold for every row a user may fill.
LAST_ROW = 1_048_576
# Example personal numbers: a resident of Xiangcheng (320507) born on 1 January 1990, and a
# mobile number of the usual form. The sequence is odd (a man) and moves on while a row of the
# table already holds the number, so the example adds a person rather than overwrite one.
EXAMPLE_ID_PREFIX = "32050719900101"
EXAMPLE_MOBILE = "13800000000"
# Example values the generic rules below would get wrong, by model label and field: the example
# organization sits below the top of the user's scope, and only a branch fits below any level.
EXAMPLE_VALUES = {"branches.Organization": {"type": "branch"}}
EXAMPLE_NOTE = "第 2 行是示例数据（按此格式填写即可通过导入校验）。正式导入前请删除该行或改为实际数据。"

REQUIRED_FONT = Font(bold=True, color="C00000")
REQUIRED_FILL = PatternFill("solid", fgColor="FDE9E7")
HEADER_FONT = Font(bold=True)
EXAMPLE_FONT = Font(italic=True, color="808080")


def template_fields(resource: ScopedResource) -> list:
    """The columns of the template: those an import of `resource` writes, in its order (the
    read-only columns an export adds, such as names beside codes, are passed over by an import)."""
    return [field for field in resource.get_import_fields() if not field.readonly]


def import_template(resource: ScopedResource) -> bytes:
    """The XLSX template of `resource`, for its user (`resource.user`): the drop-down lists and
    the example hold only what that user may see."""
    fields = template_fields(resource)
    required = set(resource.required_headers())
    today = timezone.localdate()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = str(resource._meta.model._meta.verbose_name_plural)[:31]
    lists = book.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    example_id = _example_id_number(resource, fields)
    listed = 0
    for number, field in enumerate(fields, start=1):
        letter = get_column_letter(number)
        header = _text_cell(sheet.cell(row=1, column=number), field.column_name)
        notes = []
        if field.column_name in required:
            header.font, header.fill = REQUIRED_FONT, REQUIRED_FILL
            notes.append("必填。")
        else:
            header.font = HEADER_FONT
        column = sheet.column_dimensions[letter]
        column.width = max(12, 2 * len(field.column_name) + 4)
        if resource._personal_kind(field):
            column.number_format = "@"
            column.width = 22
            notes.append("文本格式，请完整填写号码。")
        if isinstance(field.widget, NaturalKeysWidget):
            notes.append("可填多个，用逗号分隔。")
        elif isinstance(field.widget, DateWidget):
            column.number_format = "yyyy-mm-dd"
            notes.append("日期，如 2026-05-17。")
        choices = _choices(resource, field)
        if choices:
            listed += 1
            strict = field.column_name not in resource.columns_taking_names()
            _add_list(sheet, letter, field, choices, lists, get_column_letter(listed), strict=strict)
            notes.append(_list_note(resource, field))
        if notes:
            header.comment = _comment("".join(notes))
        value = _example_value(resource, field, choices, example_id, today)
        if value is not None:
            cell = sheet.cell(row=2, column=number)
            if isinstance(value, str):
                _text_cell(cell, value)
            else:
                cell.value = value
            cell.font = EXAMPLE_FONT
            cell.number_format = column.number_format
    sheet["A2"].comment = _comment(EXAMPLE_NOTE)
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _text_cell(cell, value: str) -> Cell:
    """`cell` holding `value` as text, even one that starts with "=" (never a formula)."""
    cell.value = value
    cell.data_type = "s"
    return cell


def _comment(text: str) -> Comment:
    comment = Comment(text, "相城区党建生态管理平台")
    comment.width, comment.height = 240, 80
    return comment


def _choices(resource, field) -> list[str]:
    """What the import takes in `field`'s column, for its drop-down: a choice's Chinese label, or
    the natural key of each related row the user may see (an organization by its full name). No
    list for personal numbers (a member or cadre named by ID number) or several keys in a cell."""
    widget = field.widget
    if isinstance(widget, ChoicesWidget):
        return [label for stored, label in widget.choices if stored]
    if not isinstance(widget, NaturalKeyWidget) or isinstance(widget, NaturalKeysWidget):
        return []
    if resource._personal_kind(field):
        return []
    rows = widget.get_queryset(None, None)
    model_field = _model_field(resource, field)
    if model_field is not None and model_field.is_relation:
        # Only the rows the field takes (a grid's community, not any organization).
        rows = rows.complex_filter(model_field.get_limit_choices_to())
    if field.column_name not in resource.columns_taking_names():
        return [str(key) for key in rows.values_list(widget.field, flat=True)]
    # A full name the import matches to one organization; a name shared within the user's scope
    # would match several, so those are offered by code.
    pairs = list(rows.values_list(widget.field, widget.model.natural_name_field))
    names = [name for _, name in pairs]
    return [name if names.count(name) == 1 else str(key) for key, name in pairs]


def _list_note(resource, field) -> str:
    if field.column_name in resource.columns_taking_names():
        return "请从下拉列表选择（仅含您权限范围内的组织），也可填写组织代码。"
    return "请从下拉列表选择。"


def _add_list(sheet, letter: str, field, choices: list[str], lists, source: str, *, strict: bool) -> None:
    """`choices` in column `source` of the hidden sheet `lists`, and the drop-down of `field`'s
    column (`letter`) reading them: refusing anything else when `strict`, else only warning (an
    organization may also be typed by its code, which the list does not hold)."""
    _text_cell(lists[f"{source}1"], field.column_name)
    for row, choice in enumerate(choices, start=2):
        _text_cell(lists[f"{source}{row}"], choice)
    validation = DataValidation(
        type="list",
        formula1=f"{quote_sheetname(LISTS_SHEET)}!${source}$2:${source}${len(choices) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop" if strict else "warning",
        errorTitle=field.column_name,
        error="请从下拉列表中选择。" if strict else "填写的内容不在下拉列表中，请核对是否为您权限范围内的组织代码。",
    )
    sheet.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{LAST_ROW}")


def _model_field(resource, field):
    if not field.attribute:
        return None
    try:
        return resource._meta.model._meta.get_field(field.attribute)
    except FieldDoesNotExist:
        return None  # a value only an import carries (a parent, a current rank)


def _needs_example(resource, field, model_field) -> bool:
    """A column gets an example value when a row needs one (a required column, a field without a
    blank value), when its default shows what to write, or when it is the row's own personal
    number (how to write it is the point of the example)."""
    if field.column_name in resource.required_headers():
        return True
    if model_field is None or model_field.many_to_many:
        return False
    if resource._personal_kind(field) and not isinstance(field.widget, NaturalKeyWidget):
        return True
    return not model_field.blank or model_field.has_default()


def _example_value(resource, field, choices, example_id: str, today: date):
    """The example row's value in `field`'s column (None: left blank)."""
    model = resource._meta.model
    model_field = _model_field(resource, field)
    if not _needs_example(resource, field, model_field):
        return None
    widget = field.widget
    override = EXAMPLE_VALUES.get(model._meta.label, {}).get(field.attribute)
    if override is not None:
        return widget.render(override)
    kind = resource._personal_kind(field)
    if kind and isinstance(widget, NaturalKeyWidget):
        # A related person by ID number: the first the user may see, in full or not at all.
        if not can_see_full_numbers(resource.user):
            return None
        return widget.get_queryset(None, None).values_list(widget.field, flat=True).first()
    if kind:
        return example_id if kind == "id_number" else EXAMPLE_MOBILE
    if issubclass(model, IdentifiedByIdNumber) and field.attribute in {"birth_date", "sex"}:
        # The person rule (xiangcheng/people.py): the ID number decides these two.
        return id_birth_date(example_id) if field.attribute == "birth_date" else widget.render(id_sex(example_id))
    if model_field is not None and model_field.has_default():
        default = model_field.get_default()
        if isinstance(widget, ChoicesWidget | BooleanWidget):
            return widget.render(default)
        return default
    if choices:
        return choices[0]
    if isinstance(widget, DateWidget):
        return today
    if isinstance(model_field, models.IntegerField | models.DecimalField):
        return _first_valid(model_field, [10, today.year])
    if isinstance(widget, NaturalKeyWidget | NaturalKeysWidget):
        return None
    return _example_text(resource, model_field, field.column_name)


def _first_valid(model_field, candidates: list):
    """The first of `candidates` that `model_field`'s validators accept (without a model field,
    the first). Each is checked as the field holds it (10 as Decimal("10") for a DecimalField)."""
    for candidate in candidates:
        try:
            if model_field is not None:
                model_field.run_validators(model_field.to_python(candidate))
        except ValidationError:
            continue
        return candidate
    return None


def _example_text(resource, model_field, column_name: str):
    """示例<column>, cut to the field's length; a code field that takes only Latin capitals and
    digits gets EXAMPLE. A value that identifies a row gets a number while the table holds it, so
    the example adds a row rather than overwrite one."""
    limit = getattr(model_field, "max_length", None) or 100
    for base in (f"示例{column_name}", "EXAMPLE"):
        candidates = [base[:limit]] + [f"{base[: limit - len(str(n))]}{n}" for n in range(2, 10)]
        valid = [candidate for candidate in candidates if _first_valid(model_field, [candidate]) is not None]
        if not valid:
            continue
        if model_field is not None and (model_field.unique or model_field.name in resource._meta.import_id_fields):
            return _unused(model_field, valid)
        return valid[0]
    return None


def _unused(model_field, candidates: list[str]) -> str:
    """The first of `candidates` that no row of the table holds in `model_field` (one query, over
    the whole table: a row outside the user's scope holds its value all the same)."""
    taken = set(
        model_field.model._default_manager.filter(**{f"{model_field.attname}__in": candidates}).values_list(
            model_field.attname, flat=True
        )
    )
    return next((candidate for candidate in candidates if candidate not in taken), candidates[-1])


def _example_id_number(resource, fields) -> str:
    """A valid resident ID number (GB 11643) that no row of the resource's table holds."""
    candidates = []
    for serial in range(1, 40, 2):
        body = f"{EXAMPLE_ID_PREFIX}{serial:03d}"
        candidates.append(body + ric.calc_check_digit(body + "0"))
    for field in fields:
        model_field = _model_field(resource, field)
        if model_field is not None and not model_field.is_relation and resource._personal_kind(field) == "id_number":
            return _unused(model_field, candidates)
    return candidates[0]
