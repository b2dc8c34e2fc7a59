"""Each import page offers a template (xiangcheng/importtemplate.py): the import's own columns,
the required ones marked, ID and mobile columns as text, drop-down lists of the choices and of
the organizations the user may see, and an example row that imports as it is."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from members.models import Member
from tests import clock
from tests.conftest import admin_confirm, admin_upload
from tests.factories import ActionBranchFactory, CadreFactory, OrganizationFactory, talent_project
from tests.xiangcheng.test_round_trip import IMPORTED
from xiangcheng.imex import ChoicesWidget, NaturalKeyWidget
from xiangcheng.importtemplate import LISTS_SHEET
from xiangcheng.models import AccessLog
from xiangcheng.validators import validate_id_number

IDS = [resource.__name__ for _, resource in IMPORTED]


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def related(tree):
    """A row of each list the examples name (the first the user may see): an action branch, a
    recruitment brand, a fund, a talent project and a cadre, in town A."""
    from talent.models import Fund, RecruitmentBrand

    ActionBranchFactory(organization=tree["A0101"])
    RecruitmentBrand.objects.create(name="阳澄湖创客年会")
    Fund.objects.create(name="人才基金", size=50000, manager="基金管理人", established_on=date(2018, 6, 1))
    talent_project(tree["A0101"], "甲项目")
    CadreFactory(organization=tree["A0101"])


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def template_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import_template")


def download(client, model):
    response = client.get(template_url(model))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def open_book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def import_columns(resource) -> list[str]:
    """What the import writes: its fields less the read-only ones an export adds."""
    return [field.column_name for field in resource.get_import_fields() if not field.readonly]


def drop_down(book, sheet, column: int) -> list[str] | None:
    """The values the drop-down of `column` offers (None: no drop-down), read from the sheet its
    formula names."""
    letter = openpyxl.utils.get_column_letter(column)
    for validation in sheet.data_validations.dataValidation:
        if f"{letter}2" in validation.sqref:
            sheet_name, cells = validation.formula1.rsplit("!", 1)
            assert sheet_name.strip("'") == LISTS_SHEET, "every list lies on the hidden sheet"
            return [cell.value for (cell,) in book[LISTS_SHEET][cells.replace("$", "")]]
    return None


@pytest.mark.parametrize("model,resource_class", IMPORTED, ids=IDS)
def test_template_has_the_import_columns_formats_and_lists(cast, as_user, tree, related, model, resource_class):
    resource = resource_class(user=cast["staff"])
    book = open_book(download(as_user(cast["staff"]), model))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers == import_columns(resource)
    assert set(resource.required_headers()) <= set(headers) <= set(resource.accepted_headers())
    assert sheet.freeze_panes == "A2"
    assert book[LISTS_SHEET].sheet_state == "hidden"
    written = [field for field in resource.get_import_fields() if not field.readonly]
    for number, field in enumerate(written, start=1):
        header = sheet.cell(row=1, column=number)
        if field.column_name in resource.required_headers():
            assert header.font.color.rgb.endswith("C00000") and "必填" in header.comment.text, field.column_name
        elif header.comment is not None:
            assert "必填" not in header.comment.text, field.column_name
        letter = openpyxl.utils.get_column_letter(number)
        if resource._personal_kind(field):
            assert sheet.column_dimensions[letter].number_format == "@", field.column_name
        offered = drop_down(book, sheet, number)
        if isinstance(field.widget, ChoicesWidget):
            assert offered == [label for _, label in field.widget.choices], field.column_name
        elif field.column_name in resource.columns_taking_names():
            # Every organization, or those the field takes (a grid lies in a community).
            fields = {each.name: each for each in model._meta.fields}
            limit = fields[field.attribute].get_limit_choices_to() if field.attribute in fields else {}
            taken = set(tree["district"].subtree().complex_filter(limit).values_list("code", flat=True))
            assert offered == [
                tree[key].name
                for key in ("district", "A", "A01", "A0101", "A0102", "B", "B01", "B0101", "B0102")
                if tree[key].code in taken
            ]
        elif isinstance(field.widget, NaturalKeyWidget) and not resource._personal_kind(field):
            # Another list the import matches by name (an action branch, a brand): when it has rows.
            keys = [
                str(key) for key in field.widget.get_queryset(None, None).values_list(field.widget.field, flat=True)
            ]
            assert (offered or []) == keys, field.column_name
        else:
            assert offered is None, field.column_name


@pytest.mark.parametrize(
    "model",
    [model for model, _ in IMPORTED if model._meta.label in {"members.Member", "talent.Talent", "cadres.Cadre"}],
)
def test_id_and_mobile_columns_are_text_and_the_example_id_is_valid(cast, as_user, related, model):
    book = open_book(download(as_user(cast["staff"]), model))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    id_column = next(name for name in ("身份证号", "证件号码") if name in headers)
    cell = sheet.cell(row=2, column=headers.index(id_column) + 1)
    assert isinstance(cell.value, str) and len(cell.value) == 18 and cell.number_format == "@"
    validate_id_number(cell.value)
    assert not model.objects.filter(id_number=cell.value).exists()
    if "手机号" in headers:
        mobile = openpyxl.utils.get_column_letter(headers.index("手机号") + 1)
        assert sheet.column_dimensions[mobile].number_format == "@"


def test_secretary_template_lists_only_their_subtree(cast, as_user, tree):
    book = open_book(download(as_user(cast["secretary_a"]), Member))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    column = headers.index("所在党组织") + 1
    offered = drop_down(book, sheet, column)
    assert offered == [tree[code].name for code in ("A", "A01", "A0101", "A0102")]
    assert tree["B0101"].name not in offered and tree["B"].name not in offered
    assert tree["district"].name not in offered
    assert sheet.cell(row=2, column=column).value == tree["A"].name


def test_a_thousand_organizations_go_on_the_hidden_sheet(cast, as_user, tree):
    for n in range(1, 1001):
        OrganizationFactory(parent=tree["A01"], name=f"甲街道党工委第一党总支第{n}测试党支部", code=f"AT{n}")
    book = open_book(download(as_user(cast["secretary_a"]), Member))
    sheet = book.worksheets[0]
    column = [cell.value for cell in sheet[1]].index("所在党组织") + 1
    offered = drop_down(book, sheet, column)
    assert len(offered) == 1004 and "甲街道党工委第一党总支第1000测试党支部" in offered
    assert not any(validation.formula1.startswith('"') for validation in sheet.data_validations.dataValidation)


def test_a_name_shared_within_the_scope_is_offered_by_code(cast, as_user, tree):
    OrganizationFactory(parent=tree["A01"], name=tree["A0101"].name, code="A0109")
    book = open_book(download(as_user(cast["secretary_a"]), Member))
    sheet = book.worksheets[0]
    offered = drop_down(book, sheet, [cell.value for cell in sheet[1]].index("所在党组织") + 1)
    assert "A0101" in offered and "A0109" in offered and tree["A0101"].name not in offered


@pytest.mark.parametrize("model,resource_class", IMPORTED, ids=IDS)
def test_the_template_imports_back_through_the_import_page(cast, as_user, related, model, resource_class):
    client = as_user(cast["staff"])
    content = download(client, model)
    before = model.objects.count()
    preview = admin_upload(client, changelist(model), content, name="模板.xlsx", fmt="xlsx")
    assert preview.status_code == 200
    assert "result" in preview.context, preview.context["form"].errors
    result = preview.context["result"]
    problems = [(row.number, row.field_specific_errors, row.non_field_specific_errors) for row in result.invalid_rows]
    problems += [(number, str(error.error)) for number, errors in result.row_errors() for error in errors]
    assert not problems, problems
    assert result.totals["new"] == 1, result.totals
    confirmed = admin_confirm(client, changelist(model), preview)
    assert confirmed.status_code == 302
    assert model.objects.count() == before + 1


def test_secretary_template_imports_back(cast, as_user, tree):
    client = as_user(cast["secretary_a"])
    preview = admin_upload(client, changelist(Member), download(client, Member), name="模板.xlsx", fmt="xlsx")
    assert not preview.context["result"].has_validation_errors()
    admin_confirm(client, changelist(Member), preview)
    member = Member.objects.get()
    assert member.organization == tree["A"] and member.name == "示例姓名"


def test_import_page_links_the_template(cast, as_user):
    page = as_user(cast["staff"]).get(f"{changelist(Member)}import/")
    assert page.status_code == 200
    assert f'href="{template_url(Member)}"' in page.content.decode()
    assert "下载导入模板" in page.content.decode()
    assert "必填列：姓名、身份证号、所在党组织。" in page.content.decode()


def test_template_needs_the_import_permission(cast, as_user):
    from members.models import Pledge

    assert as_user(cast["outsider"]).get(template_url(Member)).status_code == 403
    # A list exported but never imported has no template to offer.
    assert as_user(cast["staff"]).get(template_url(Pledge)).status_code == 403


def test_template_download_is_logged(cast, as_user):
    download(as_user(cast["secretary_a"]), Member)
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.what) == (cast["secretary_a"], "export", "党员导入模板")
