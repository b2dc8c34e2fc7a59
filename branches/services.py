from django.core.exceptions import ValidationError
from django.db import transaction

from branches.models import Organization


def organization_check_parent(*, organization: Organization, parent: Organization | None) -> None:
    """Refuse a parent that breaks the tree.

    Levels strictly increase downwards, so the level rule also refuses the organization itself and
    any of its descendants as a parent.
    """
    if parent is None:
        if organization.type != Organization.Type.DISTRICT:
            raise ValidationError({"parent": "只有区委可以没有上级组织，请选择上级组织。"})
        return
    if organization.level <= parent.level:
        raise ValidationError({"parent": f"{organization.get_type_display()}不能设在{parent.get_type_display()}之下。"})


@transaction.atomic
def organization_save(*, organization: Organization, parent: Organization | None) -> Organization:
    """Create an organization under `parent`, or save it and move its subtree to `parent`."""
    organization_check_parent(organization=organization, parent=parent)
    if organization.pk is None:
        organization.full_clean(exclude=["path"])
        if parent is None:
            return Organization.objects.add_root(instance=organization)
        return Organization.objects.add_child(parent, instance=organization)
    organization.full_clean()
    organization.save()
    current_parent = Organization.objects.get_parent(organization)
    if parent is not None and (current_parent is None or current_parent.pk != parent.pk):
        Organization.objects.move(organization, parent, "last-child")
        organization.refresh_from_db()
    return organization
