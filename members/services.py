from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from members.models import Member, MemberTransfer


@transaction.atomic
def member_transfer(*, member: Member, to_organization, on: date) -> MemberTransfer:
    """Move a member to another organization from `on`; earlier periods still count them where they were."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if to_organization.pk == member.organization_id:
        raise ValidationError({"to_organization": "该党员已在这个组织。"})
    last = member.transfers.order_by("-transferred_on").first()
    if last and on < last.transferred_on:
        raise ValidationError({"transferred_on": f"转接日期不能早于上一次转接（{last.transferred_on:%Y-%m-%d}）。"})
    move = MemberTransfer.objects.create(
        member=member, transferred_on=on, from_organization_id=member.organization_id, to_organization=to_organization
    )
    member.organization = to_organization
    member.save(update_fields=["organization"])
    return move


@transaction.atomic
def member_save(*, member: Member, transferred_on: date | None = None) -> Member:
    """Save a member from the roster form; a change of organization becomes a dated transfer."""
    if member.pk is None or transferred_on is None:
        member.save()
        return member
    to_organization = member.organization
    previous = Member.objects.get(pk=member.pk)
    member.organization_id = previous.organization_id
    member.save()
    if to_organization.pk != previous.organization_id:
        member_transfer(member=member, to_organization=to_organization, on=transferred_on)
        member.refresh_from_db()
    return member
