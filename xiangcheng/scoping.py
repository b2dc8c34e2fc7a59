"""The one scoping chokepoint: who may see which rows.

Every organization-owned model uses `ScopedQuerySet` (directly or mixed in) and names, in
`scope_path`, the lookup from itself to its organization's tree path. `visible_to(user)` is then
the only way rows reach a user, and it answers both questions at once (deny by default):

1. the model permission: without `<app_label>.view_<model_name>` (or the action asked for), no rows;
2. the scope: district staff (the permission `branches.view_all_organizations`) see everything, a
   secretary sees the subtrees of the organizations assigned to them, anyone else sees nothing.

`visible(queryset, user)` does the same for a queryset of any model; one that belongs to no
organization (lists staff edit, targets) only needs the permission.
"""

from functools import reduce
from operator import or_

from django.contrib.auth import get_permission_codename
from django.db import models

DISTRICT_PERMISSION = "branches.view_all_organizations"


def sees_whole_district(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(DISTRICT_PERMISSION)))


def has_scope(user) -> bool:
    """The district, or at least one organization assigned: what a page of the user's numbers
    (dashboard, reports, data quality, totals) needs before it can show anything."""
    return sees_whole_district(user) or bool(scope_paths(user))


def scope_paths(user) -> list:
    """Tree paths of the organizations assigned to `user`, read once per user object."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    if not hasattr(user, "_scope_paths"):
        user._scope_paths = list(user.organization_scopes.values_list("organization__path", flat=True))
    return user._scope_paths


def has_model_permission(user, model, action: str = "view") -> bool:
    """Whether `user` holds `<app_label>.<action>_<model_name>` for `model`."""
    opts = model._meta
    return bool(user and user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"))


class ScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to an organization; see the module docstring."""

    def visible_to(self, user, action: str = "view"):
        """The rows `user` may `action` ("view", "change", "delete"): none without the model
        permission, all of them for district staff, else those within the user's organizations."""
        if not has_model_permission(user, self.model, action):
            return self.none()
        if sees_whole_district(user):
            return self
        paths = scope_paths(user)
        if not paths:
            return self.none()
        return self.within(*paths)

    def within(self, *organizations, subtree: bool = True):
        """The rows of these organizations and everything below them (each an organization or
        its tree path; none given, no rows), or with `subtree=False` of these organizations
        alone. The one place the subtree lookup is written."""
        if not organizations:
            return self.none()
        paths = [getattr(organization, "path", organization) for organization in organizations]
        if subtree:
            return self.filter(in_subtrees(self.model.scope_path, paths))
        return self.filter(reduce(or_, (models.Q(**{self.model.scope_path: path}) for path in paths)))


def in_subtrees(scope_path: str, paths) -> models.Q:
    """Rows whose tree path (reached by `scope_path`) lies within one of `paths` (at least one)."""
    return reduce(or_, (models.Q(**{f"{scope_path}__descendants": path}) for path in paths))


def is_scoped(model) -> bool:
    """Whether rows of `model` belong to an organization (and so must be scoped)."""
    return hasattr(model, "scope_path")


def visible(queryset, user, action: str = "view"):
    """`queryset` limited to what `user` may `action`: `visible_to()` for an organization-owned
    model; for a model that belongs to no organization, all rows or none by the model permission."""
    if is_scoped(queryset.model):
        return queryset.visible_to(user, action)
    return queryset if has_model_permission(user, queryset.model, action) else queryset.none()


def can_see_full_numbers(user) -> bool:
    """Whether `user` may see personal numbers (ID, mobile) unmasked."""
    return bool(user and user.has_perm("xiangcheng.view_full_numbers"))
