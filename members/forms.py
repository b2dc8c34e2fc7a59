from django import forms
from django.core.exceptions import ValidationError

from members.models import ROSTER_FIELDS, CheckItem, Member, Rectification, Visit
from xiangcheng.forms import ReportForm
from xiangcheng.periods import QUARTER_NAMES
from xiangcheng.validators import not_after_today


class MemberForm(forms.ModelForm):
    """The roster form. Moving a member to another organization asks for the transfer date, so
    the move is a dated record and earlier periods still count the member where they were."""

    transferred_on = forms.DateField(
        label="转接日期",
        required=False,
        help_text="更改所在党组织时填写：组织关系转接的日期。",
        validators=[not_after_today],
    )

    class Meta:
        model = Member
        # The birth date follows from the ID number.
        fields = [name for name in ROSTER_FIELDS if name != "birth_date"]

    def clean(self):
        cleaned = super().clean()
        moved = self.instance.pk and "organization" in self.changed_data
        day = cleaned.get("transferred_on")
        if not moved:
            cleaned["transferred_on"] = None
        elif not day:
            if "transferred_on" not in self.errors:  # a date that failed its own check is not missing
                self.add_error("transferred_on", "更改所在党组织须填写转接日期。")
        else:
            last = self.instance.transfers.order_by("-transferred_on").first()
            joined = cleaned.get("joined_on")
            if last and day < last.transferred_on:
                self.add_error("transferred_on", f"转接日期不能早于上一次转接（{last.transferred_on:%Y-%m-%d}）。")
            elif joined and day < joined:
                self.add_error("transferred_on", "转接日期不能早于入党日期。")
        return cleaned


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["pairing", "visited_on", "action"]
        widgets = {"action": forms.Textarea(attrs={"rows": 3})}


class CompletionForm(ReportForm):
    """The report form for the 365 completion page, where the whole year (an empty quarter) is
    one more choice, and the default."""

    quarter = forms.TypedChoiceField(
        label="季度", choices=[("", "全年"), *QUARTER_NAMES.items()], coerce=int, required=False, empty_value=None
    )

    def defaults(self, today):
        return {**super().defaults(today), "quarter": ""}


class VenueInspectionItemFormSet(forms.BaseInlineFormSet):
    """The verdicts of an inspection: a new inspection judges every item of the venue standard in
    use (an item left unjudged would not count against the venue)."""

    def clean(self):
        super().clean()
        if self.instance.pk is not None or any(self.errors):
            return
        judged = {
            form.cleaned_data["item"].pk
            for form in self.forms
            if form.cleaned_data.get("item") and not form.cleaned_data.get("DELETE")
        }
        missing = CheckItem.objects.filter(standard=CheckItem.Standard.VENUE, is_active=True).exclude(pk__in=judged)
        names = "、".join(item.name for item in missing)
        if names:
            raise ValidationError(f"请逐项评判阵地标准的每个项目，尚未评判：{names}。")


class RectificationForm(forms.ModelForm):
    """A rectification: when and how it was put right; its due date cannot be taken away (every
    failed item has one)."""

    class Meta:
        model = Rectification
        fields = ["rectify_by", "rectified_on", "rectification"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "rectify_by" in self.fields:
            self.fields["rectify_by"].required = True
