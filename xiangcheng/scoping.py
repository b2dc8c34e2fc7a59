"""The one scoping chokepoint: who may see which organization-owned rows.

Every organization-owned model uses `ScopedQuerySet` (directly or mixed in) and names, in
`scope_path`, the lookup from itself to its organization's tree path. `visible_to(user)` is then
the only way rows reach a user: district staff (the permission `branches.view_all_organizations`)
see everything, a secretary sees the subtrees of the organizations assigned to them, anyone else
sees nothing.
"""

from functools import reduce
from operator import or_

from django.db import models

DISTRICT_PERMISSION = "branches.view_all_organizations"


def sees_whole_district(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(DISTRICT_PERMISSION)))


def scope_paths(user) -> list:
    """Tree paths of the organizations assigned to `user`, read once per user object."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    if not hasattr(user, "_scope_paths"):
        user._scope_paths = list(user.organization_scopes.values_list("organization__path", flat=True))
    return user._scope_paths


class ScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to an organization; see the module docstring."""

    def visible_to(self, user):
        if sees_whole_district(user):
            return self
        paths = scope_paths(user)
        if not paths:
            return self.none()
        lookup = f"{self.model.scope_path}__descendants"
        return self.filter(reduce(or_, (models.Q(**{lookup: path}) for path in paths)))


def is_scoped(model) -> bool:
    """Whether rows of `model` belong to an organization (and so must be scoped)."""
    return hasattr(model, "scope_path")


def visible(queryset, user):
    """`queryset` limited to what `user` may see; querysets of models that belong to no
    organization (lists staff edit, targets) pass unchanged."""
    return queryset.visible_to(user) if is_scoped(queryset.model) else queryset


def can_see_full_numbers(user) -> bool:
    """Whether `user` may see personal numbers (ID, mobile) unmasked."""
    return bool(user and user.has_perm("xiangcheng.view_full_numbers"))
