from django import forms

from branches.models import Organization
from branches.services import organization_check_parent


class OrganizationForm(forms.ModelForm):
    """Edits an organization with its place in the tree given as a parent."""

    parent = forms.ModelChoiceField(
        label="上级组织",
        queryset=Organization.objects.exclude(type=Organization.Type.BRANCH),
        required=False,
        help_text="区委不填；其他组织必须选择上级组织。",
    )

    class Meta:
        model = Organization
        fields = ["parent", "type", "name", "code", "founded_on", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("parent", Organization.objects.get_parent(self.instance))

    def clean(self):
        cleaned = super().clean()
        if "type" in cleaned and not self.has_error("parent"):
            self.instance.type = cleaned["type"]
            try:
                organization_check_parent(organization=self.instance, parent=cleaned.get("parent"))
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned
