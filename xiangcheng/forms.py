from datetime import date

from django import forms
from django.apps import apps
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from import_export import forms as import_forms

from xiangcheng.imex import ImportRefused, check_size
from xiangcheng.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    QUARTER_NAMES,
    Period,
    period_of,
    quarter_of,
    quarter_period,
    year_period,
)
from xiangcheng.progress import new_token


class OrganizationPicker(AutocompleteSelect):
    """Search-as-you-type over the user's organizations, with the admin's select2: the page holds
    only the chosen organization, the drop-down asks `xiangcheng.views.organization_choices` as
    the user types (only organizations that may have branches with `parents`). For a
    ModelChoiceField whose values are codes (`to_field_name="code"`)."""

    def __init__(self, attrs=None, *, parents: bool = False):
        super().__init__(field=None, admin_site=None, attrs=attrs)
        self.parents = parents

    def get_url(self):
        url = reverse("admin:organization_choices")
        return f"{url}?parents=1" if self.parents else url

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = forms.Select.build_attrs(self, base_attrs, extra_attrs)
        attrs.update(
            {
                "data-ajax--cache": "true",
                "data-ajax--delay": 250,
                "data-ajax--type": "GET",
                "data-ajax--url": self.get_url(),
                "data-theme": "admin-autocomplete",
                "data-placeholder": "输入名称或代码查找",
                "lang": self.i18n_name,
                "class": f"{attrs.get('class', '')} admin-autocomplete organization-picker".strip(),
            }
        )
        return attrs

    def optgroups(self, name, value, attr=None):
        # The submitted text as it came (an invalid form shows it again): no NUL reaches SQL.
        chosen = [str(v) for v in value if str(v) not in self.choices.field.empty_values and "\x00" not in str(v)]
        options = [
            self.create_option(name, organization.code, organization.name, True, index)
            for index, organization in enumerate(self.choices.queryset.filter(code__in=chosen)[:1])
        ]
        return [(None, options, 0)]


NOT_BEGUN = "所选期间尚未开始，请选择本季度或以前的期间。"


class ReportForm(forms.Form):
    """A quarter and an organization within the user's scope, read from the query string."""

    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    quarter = forms.TypedChoiceField(label="季度", choices=list(QUARTER_NAMES.items()), coerce=int)
    organization = forms.ModelChoiceField(
        label="组织",
        queryset=None,
        to_field_name="code",
        empty_label=None,
        widget=OrganizationPicker,
        error_messages={"invalid_choice": "该组织不存在，或不在您的权限范围内。"},
    )

    def __init__(self, data=None, *, user, **kwargs):
        organizations = apps.get_model("branches", "Organization").objects.visible_to(user)
        top = organizations.only("code").first()
        defaults = {**self.defaults(timezone.localdate()), "organization": top.code if top else ""}
        super().__init__({**defaults, **{key: value for key, value in (data or {}).items() if value}}, **kwargs)
        self.fields["organization"].queryset = organizations.only("code", "name", "path")

    def defaults(self, today: date) -> dict:
        """What an absent or empty year and quarter mean: today's."""
        return {"year": today.year, "quarter": quarter_of(today)}

    def clean(self):
        """A period that has not begun has nothing to count: refused on the field that makes it
        so (a page then shows the default in its place, `xiangcheng.views._period_form`)."""
        data = super().clean()
        year, quarter, today = data.get("year"), data.get("quarter"), timezone.localdate()
        if year is not None and year > today.year:
            self.add_error("year", NOT_BEGUN)
        elif year is not None and quarter and period_of(year, quarter).start > today:
            self.add_error("quarter", NOT_BEGUN)
        return data

    def query(self) -> str:
        """The valid choice as a query string, for links to the same page (a download)."""
        data = self.cleaned_data
        return urlencode(
            {"year": data["year"], "quarter": data["quarter"] or "", "organization": data["organization"].code}
        )


# List filters take a year ("2026") or a quarter ("2026-4") as their parameter: read by the report
# form's fields, so a list accepts the years and quarters a report does.


def year_parameter(value) -> int | None:
    """The year a list filter's parameter names, or None for anything the report form refuses."""
    try:
        return ReportForm.base_fields["year"].clean(value)
    except ValidationError:
        return None


def quarter_parameter(value) -> Period | None:
    """The quarter a list filter's "2026-4" names, or None for anything the report form refuses."""
    year, _, quarter = str(value or "").partition("-")
    fields = ReportForm.base_fields
    try:
        return quarter_period(fields["year"].clean(year), fields["quarter"].clean(quarter))
    except ValidationError:
        return None


def window_value(start: date, end: date) -> str:
    """A date window as a list filter's parameter: "2026-10-01~2026-12-31"."""
    return f"{start.isoformat()}~{end.isoformat()}"


def window_parameter(value) -> Period | None:
    """The window a list filter's "2026-10-01~2026-12-31" names (both days included), or None
    for anything else, including a window that ends before it starts or a year the report form
    refuses."""
    first, separator, last = str(value or "").partition("~")
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return None
    if not separator or end < start or year_parameter(start.year) is None or year_parameter(end.year) is None:
        return None
    return Period(start, end, f"{start:%Y-%m-%d}至{end:%Y-%m-%d}")


def window_choices(today: date) -> list[tuple[str, str]]:
    """A window filter's choices: the quarters that have begun this year and last (latest first),
    then this year and last year."""
    quarters = [(quarter_parameter(key), label) for key, label in quarter_choices(today)]
    years = [(year_period(year), year_period(year).label) for year in (today.year, today.year - 1)]
    return [(window_value(period.start, period.end), label) for period, label in quarters + years]


def year_choices(today: date) -> list[tuple[str, str]]:
    """A year filter's choices: this year and the two before."""
    return [(str(year), year_period(year).label) for year in (today.year, today.year - 1, today.year - 2)]


def quarter_choices(today: date) -> list[tuple[str, str]]:
    """A quarter filter's choices: the quarters of this year and the last that have begun, latest first."""
    return [
        (f"{year}-{quarter}", quarter_period(year, quarter).label)
        for year in (today.year, today.year - 1)
        for quarter in (4, 3, 2, 1)
        if quarter_period(year, quarter).start <= today
    ]


class ProgressImportForm(import_forms.ImportForm):
    """The import form with the token its request reports progress under (xiangcheng/progress.py).
    A file too large, or an XLSX that would unpack to too much, is refused here, before it is
    stored or parsed (xiangcheng/imex.py checks)."""

    progress_token = forms.CharField(widget=forms.HiddenInput, required=False, initial=new_token)

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats

    def clean(self):
        cleaned = super().clean()
        upload, chosen = cleaned.get("import_file"), cleaned.get("format")
        if upload is None or chosen is None:
            return cleaned
        try:
            check_size(upload.size)
            self.formats[int(chosen)]().check_file(upload)
        except ImportRefused as refused:
            self.add_error("import_file", str(refused))
        finally:
            upload.seek(0)
        return cleaned


class ProgressConfirmImportForm(import_forms.ConfirmImportForm):
    """The confirm form, with a token of its own (ImportExportAdmin.get_confirm_form_initial) and
    the audit version of the table at the preview (rows edited since make the import ask again)."""

    progress_token = forms.CharField(widget=forms.HiddenInput, required=False)
    preview_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
