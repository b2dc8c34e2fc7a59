from django import forms
from django.apps import apps
from django.utils import timezone
from import_export import forms as import_forms

from xiangcheng.periods import quarter_of
from xiangcheng.progress import new_token
from xiangcheng.reports import QUARTERS


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # The tree shown by indentation: one full-width space per level below the top.
        return "\u3000" * (len(obj.path) - 1) + obj.name


class ReportForm(forms.Form):
    """A quarter and an organization within the user's scope, read from the query string."""

    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label="季度", choices=list(QUARTERS.items()), coerce=int)
    organization = OrganizationChoiceField(
        label="组织",
        queryset=None,
        to_field_name="code",
        empty_label=None,
        error_messages={"invalid_choice": "该组织不存在，或不在您的权限范围内。"},
    )

    def __init__(self, data=None, *, user, **kwargs):
        organizations = apps.get_model("branches", "Organization").objects.visible_to(user)
        today = timezone.localdate()
        year, quarter = today.year, quarter_of(today)
        top = organizations.only("code").first()
        defaults = {"year": year, "quarter": quarter, "organization": top.code if top else ""}
        super().__init__({**defaults, **{key: value for key, value in (data or {}).items() if value}}, **kwargs)
        self.fields["organization"].queryset = organizations.only("code", "name", "path")


class ProgressImportForm(import_forms.ImportForm):
    """The import form with the token its request reports progress under (xiangcheng/progress.py)."""

    progress_token = forms.CharField(widget=forms.HiddenInput, required=False, initial=new_token)


class ProgressConfirmImportForm(import_forms.ConfirmImportForm):
    """The confirm form, with a token of its own (ImportExportAdmin.get_confirm_form_initial)."""

    progress_token = forms.CharField(widget=forms.HiddenInput, required=False)
