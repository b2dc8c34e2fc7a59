"""Fuzzing, with a fixed budget: no query parameter of any list or page, and no input of any add
or change form, makes the portal answer 500. Hypothesis draws the inputs (the same ones every run: the
examples are derived from the test, not from the clock)."""

import pytest
from django.contrib import admin
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import clock
from tests.conftest import change_form_data
from tests.xiangcheng.portal import admin_pages, changelist_name, row_set

BUDGET = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What a person, a broken link or a crawler puts in a URL or a field.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "9" * 30, "1.2.3", "-", "2026", "2026-13-40", "A01", "'; DROP TABLE x;--", "\x00"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
LIST_PARAMETERS = ["o", "q", "p", "e", "all", "_facets", "year", "quarter", "organization", "town", "quality", "_q"]
PAGE_PARAMETERS = ["year", "quarter", "organization", "format", "download", "start", "end", "by", "token"]
ANSWERS = {200, 301, 302, 400, 403, 404, 405}
# The organizations, the people and the row of every model are made once for the module.
pytestmark = pytest.mark.django_db


def list_names() -> list[str]:
    return sorted(changelist_name(model) for model in admin.site._registry)


def filter_parameters(url_name: str) -> list[str]:
    model_admin = next(ma for m, ma in admin.site._registry.items() if changelist_name(m) == url_name)
    names = []
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            names += [f"{entry}__exact", f"{entry}__id__exact", f"{entry}__isnull"]
        elif isinstance(entry, tuple):
            names.append(f"{entry[0]}__exact")
        else:
            names.append(getattr(entry, "parameter_name", None) or "x")
    return names


def queries(names):
    return st.dictionaries(st.sampled_from(names), TEXT, max_size=4)


def fuzz(send, url: str, drawn) -> None:
    """Send `url` each drawn input (`send(url, drawn)`) within the budget: never a 500."""

    @BUDGET
    @given(value=drawn)
    def answer(value):
        status = send(url, value).status_code
        assert status in ANSWERS, (url, value, status)

    answer()


def inputs(fields):
    """Any subset of a form's fields, each with any text."""
    return st.fixed_dictionaries({}, optional={name: TEXT for name in fields})


@pytest.fixture
def staff(module_cast, as_user):
    return as_user(module_cast["staff"])


@pytest.mark.parametrize("url_name", list_names())
def test_no_query_parameter_of_a_list_makes_a_500(staff, url_name):
    fuzz(staff.get, reverse(f"admin:{url_name}"), queries(LIST_PARAMETERS + filter_parameters(url_name)))


@pytest.mark.parametrize("url_name", list_names())
def test_a_filter_value_a_list_cannot_apply_is_refused_not_a_500(staff, url_name):
    # A NUL in any filter (?status__exact=%00) reached PostgreSQL from 24 lists, and a year of
    # twenty digits overflowed the date lists' calendar: both answered 500.
    model_admin = next(ma for m, ma in admin.site._registry.items() if changelist_name(m) == url_name)
    url = reverse(f"admin:{url_name}")
    if staff.get(url).status_code != 200:
        pytest.skip(f"{url_name}: not a list of staff's")
    values = {name: "\x00" for name in filter_parameters(url_name)}
    if model_admin.date_hierarchy:
        values[f"{model_admin.date_hierarchy}__year"] = "9" * 20
    for name, value in values.items():
        for sent in (value, f"x{value}"):
            response = staff.get(url, {name: sent})
            assert response.status_code in (200, 302), (name, sent, response.status_code)
            if response.status_code == 302:
                assert response["Location"].endswith("?e=1")
    # The list it leads to says its filter was not applied (it had shown every row as if filtered).
    told = staff.get(url, {"e": "1"}).content.decode()
    assert "链接中的筛选条件无法识别，下面显示的是未经筛选的全部记录。" in told


@pytest.mark.parametrize("page", [page for page in admin_pages() if not page.obj], ids=lambda page: page.name)
def test_no_query_parameter_of_a_page_makes_a_500(staff, page):
    fuzz(staff.get, page.url({}), queries(PAGE_PARAMETERS))


def add_forms() -> list[str]:
    return sorted(
        f"{model._meta.app_label}_{model._meta.model_name}_add"
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_add_permission.__func__ is not None
    )


@pytest.mark.parametrize("url_name", add_forms())
def test_no_input_of_an_add_form_makes_a_500(staff, url_name):
    url = reverse(f"admin:{url_name}")
    page = staff.get(url)
    if page.status_code != 200:
        pytest.skip(f"{url_name}: {page.status_code}")
    management = {}
    for inline in page.context["inline_admin_formsets"]:
        management.update({f"{inline.formset.prefix}-TOTAL_FORMS": "0", f"{inline.formset.prefix}-INITIAL_FORMS": "0"})
    fields = page.context["adminform"].form.fields
    fuzz(lambda url, data: staff.post(url, {**management, **data}), url, inputs(fields))


@pytest.fixture(scope="module")
def rows(module_tree, tmp_path_factory):
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), clock.travel():
        yield row_set(module_tree["A01"], with_files=True)


def change_forms() -> list[str]:
    return sorted(model._meta.label for model in admin.site._registry)


@pytest.mark.parametrize("label", change_forms())
def test_no_input_of_a_change_form_makes_a_500(staff, rows, label):
    obj = rows[label]
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = staff.get(url)
    if page.status_code != 200 or "adminform" not in page.context:
        pytest.skip(f"{label}: {page.status_code}")
    shown = change_form_data(page)
    fields = page.context["adminform"].form.fields
    fuzz(lambda url, changed: staff.post(url, {**shown, **changed}), url, inputs(fields))


def autocomplete_fields() -> list[tuple[str, str, str]]:
    """(app label, model name, field) of every picker on every form, inlines' too."""
    found = set()
    for model, model_admin in admin.site._registry.items():
        for owner, fields in [(model, model_admin.autocomplete_fields)] + [
            (inline.model, inline.autocomplete_fields) for inline in model_admin.inlines
        ]:
            found |= {(owner._meta.app_label, owner._meta.model_name, field) for field in fields}
    return sorted(found)


@pytest.mark.parametrize(("app_label", "model_name", "field_name"), autocomplete_fields())
def test_no_term_of_a_picker_makes_a_500(staff, app_label, model_name, field_name):
    # A NUL byte once reached PostgreSQL from every picker and answered 500.
    url = reverse("admin:autocomplete")
    for term in ["\x00", "王\x00", "1\x00"]:
        response = staff.get(
            url, {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term}
        )
        assert response.status_code == 200 and response.json()["results"] == [], (field_name, term)
    fuzz(
        lambda url, term: staff.get(
            url, {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term}
        ),
        url,
        TEXT,
    )
