"""Writes of the talent files that span several rows: a fund's investment, checked against what
the fund has already invested."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from talent.models import Fund, Investment, TalentProject

# What a record of an investment sets, in the order a form shows it.
INVESTMENT_FIELDS = ("fund", "project", "invested_on", "amount", "share", "stage", "exited_on", "exit_amount")


def investment_check_fund_size(*, fund: Fund, amount: Decimal, investment: Investment | None = None) -> None:
    """Refuse `amount` (万元) for a new investment of `fund`, or for `investment` corrected, when
    the fund's investments together would exceed its size. Locks the fund's row until the end of
    the transaction, so two records made at once cannot both take its last room."""
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    others = fund.investments.all()
    if investment is not None and investment.pk is not None:
        others = others.exclude(pk=investment.pk)
    invested = others.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    if invested + amount > fund.size:
        room = max(fund.size - invested, Decimal("0.00"))
        raise ValidationError(
            {
                "amount": f"投资合计将超过基金规模：{fund.name}规模 {fund.size:,.2f} 万元，"
                f"已投资 {invested:,.2f} 万元，本笔最多 {room:,.2f} 万元。"
            }
        )


@transaction.atomic
def investment_record(
    *,
    fund: Fund,
    project: TalentProject,
    invested_on: date,
    amount: Decimal,
    share: Decimal,
    stage: str,
    exited_on: date | None = None,
    exit_amount: Decimal | None = None,
    investment: Investment | None = None,
) -> Investment:
    """Record an investment of `fund` in a talent project or, given `investment`, correct it or
    record its exit. Refused (ValidationError, in Chinese) when a field is invalid or when the
    fund's investments would together exceed its size."""
    investment = investment if investment is not None else Investment()
    values = dict(
        fund=fund,
        project=project,
        invested_on=invested_on,
        amount=amount,
        share=share,
        stage=stage,
        exited_on=exited_on,
        exit_amount=exit_amount,
    )
    for name, value in values.items():
        setattr(investment, name, value)
    investment.full_clean()
    investment_check_fund_size(fund=fund, amount=investment.amount, investment=investment)
    investment.save()
    return investment
