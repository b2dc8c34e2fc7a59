from django import forms
from django.db.models import Exists, OuterRef

from branches.models import ActionBranch, Organization, SecretaryProject, ServiceAction
from branches.services import organization_check_parent
from xiangcheng.forms import OrganizationPicker
from xiangcheng.validators import normalize_id_number


class OrganizationForm(forms.ModelForm):
    """Edits an organization with its place in the tree given as a parent."""

    parent = forms.ModelChoiceField(
        label="上级组织",
        queryset=Organization.objects.exclude(type=Organization.Type.BRANCH),
        to_field_name="code",
        required=False,
        widget=OrganizationPicker(parents=True),
        help_text="区委不填；其他组织必须选择上级组织（输入名称或代码查找）。",
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


class MemberSubtreeForm(forms.ModelForm):
    """Member choices narrowed to the subtree of the record's organization (the one submitted, when
    the form is posted), so lists stay short and a member from elsewhere is refused. On the add
    form, where no organization is known yet, the member fields are left out (see the admin)."""

    member_fields: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = (
            self.data.get(self.add_prefix("organization")) if self.is_bound else self.instance.organization_id
        )
        organization = (
            Organization.objects.filter(pk=organization).first()
            if str(organization or "").isascii() and str(organization or "").isdigit()
            else None
        )
        for name in self.member_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            if organization is None:
                field.queryset = field.queryset.none()
                continue
            field.queryset = field.queryset.within(organization)
            field.error_messages["invalid_choice"] = f"须是{organization}（含下级组织）的党员。"


class ActionBranchForm(MemberSubtreeForm):
    member_fields = ("secretary", "members")

    class Meta:
        model = ActionBranch
        fields = ["name", "category", "organization", "secretary", "members", "founded_on", "status", "brand"]


class SecretaryProjectForm(MemberSubtreeForm):
    member_fields = ("secretary",)

    class Meta:
        model = SecretaryProject
        fields = [
            "name",
            "organization",
            "secretary",
            "year",
            "goal",
            "started_on",
            "planned_end",
            "status",
            "outcome",
        ]


def members_of_action_branch(members, branch):
    """A service action's participants: members of its action branch, of any one while none is
    chosen (what its picker offers, `choices_follow`)."""
    links = ActionBranch.members.through.objects.filter(member=OuterRef("pk"))
    return members.filter(Exists(links if branch is None else links.filter(actionbranch=branch)))


class ServiceActionForm(forms.ModelForm):
    """The service log form. Participants are typed in by name (the admin's autocomplete) and must
    be members of the action branch (the one submitted, when the form is posted)."""

    class Meta:
        model = ServiceAction
        fields = [
            "action_branch",
            "served_on",
            "kind",
            "title",
            "people_served",
            "place",
            "description",
            "participants",
        ]
        widgets = {
            "people_served": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("participants")
        if field is not None:
            branch = (
                self.data.get(self.add_prefix("action_branch")) if self.is_bound else self.instance.action_branch_id
            )
            branch = branch if str(branch or "").isascii() and str(branch or "").isdigit() else None
            field.queryset = members_of_action_branch(field.queryset, branch) if branch else field.queryset.none()
            field.help_text = "输入姓名查找该行动支部的成员，可选多人。"
            field.error_messages["invalid_choice"] = "参与党员须是所选行动支部的成员。"


class MemberByIdNumberField(forms.ModelChoiceField):
    """A member typed in by ID number: the roster is too large for a list of choices."""

    widget = forms.TextInput(attrs={"autocomplete": "off", "size": 20})
    default_error_messages = {"invalid_choice": "找不到该身份证号的在册党员，或不在您的权限范围内。"}

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="id_number", **kwargs)

    def to_python(self, value):
        return super().to_python(normalize_id_number(value) if value else value)
