from django import forms

from talent.models import Investment
from talent.services import INVESTMENT_FIELDS, investment_check_fund_size


class InvestmentForm(forms.ModelForm):
    """An investment as the admin records it: the fund-size rule is checked with the form, so a
    refusal shows on the amount, in the same transaction in which the admin then saves it."""

    class Meta:
        model = Investment
        fields = INVESTMENT_FIELDS

    def clean(self):
        cleaned = super().clean()
        fund, amount = cleaned.get("fund"), cleaned.get("amount")
        if fund is not None and amount is not None:
            investment_check_fund_size(fund=fund, amount=amount, investment=self.instance)
        return cleaned
