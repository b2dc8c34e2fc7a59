from django import forms
from django.utils import timezone

from members.models import Member, Visit


class MemberForm(forms.ModelForm):
    """The roster form. Moving a member to another organization asks for the transfer date, so
    the move is a dated record and earlier periods still count the member where they were."""

    transferred_on = forms.DateField(
        label="转接日期", required=False, help_text="更改所在党组织时填写：组织关系转接的日期。"
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "sex",
            "ethnicity",
            "id_number",
            "mobile",
            "education",
            "organization",
            "joined_on",
            "category",
            "party_post",
            "leading_cadre_since",
            "agency_member_since",
            "status",
            "status_on",
        ]

    def clean(self):
        cleaned = super().clean()
        moved = self.instance.pk and "organization" in self.changed_data
        if moved and not cleaned.get("transferred_on"):
            self.add_error("transferred_on", "更改所在党组织须填写转接日期。")
        if not moved:
            cleaned["transferred_on"] = None
        return cleaned


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["pairing", "visited_on", "action"]
        widgets = {"action": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate
