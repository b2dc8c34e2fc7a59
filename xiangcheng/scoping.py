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

from xiangcheng.search import any_of, model_at

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

    # The subtrees (tuples of tree paths) this queryset was narrowed to by a join on the path
    # (`within`: the user's scope, a list's organization filter), for `counted`.
    _joined_subtrees: tuple = ()

    def _clone(self):
        clone = super()._clone()
        clone._joined_subtrees = self._joined_subtrees
        return clone

    def __or__(self, other):
        return self._within_both(super().__or__(other), other)

    def __xor__(self, other):
        return self._within_both(super().__xor__(other), other)

    def _within_both(self, combined, other):
        """`combined`, rows of this queryset or `other`, knowing only the subtrees both were
        narrowed to: a subtree of one side alone would leave the other side's rows uncounted."""
        if combined is self or combined is other:  # one side was empty: the other as it is
            return combined
        shared = getattr(other, "_joined_subtrees", ())
        combined._joined_subtrees = tuple(paths for paths in self._joined_subtrees if paths in shared)
        return combined

    def _combinator_query(self, *args, **kwargs):
        # A union's rows cannot be filtered, so none of its subtrees is matched again.
        combined = super()._combinator_query(*args, **kwargs)
        combined._joined_subtrees = ()
        return combined

    def counted(self):
        """The same rows, written for a statement that counts them all: each subtree they were
        narrowed to by a join on the path also matched on the key that leads to it (see
        `within`). A list's page keeps the join for its ordering; its count then finds a town's
        rows through the key's index, at a cost that follows the town instead of the district
        (a secretary's members at scale 2: 7.5 → 1.7 ms; staff's, filtered to a town: 5.1 → 1.0)."""
        queryset = self
        for paths in self._joined_subtrees:
            queryset = queryset.filter(in_subtrees(self.model, self.model.scope_path, paths, by_key=True))
        return queryset

    def visible_to(self, user, action: str = "view", *, counting: bool = False):
        """The rows `user` may `action` ("view", "change", "delete"): none without the model
        permission, all of them for district staff, else those within the user's organizations
        (`counting`: see `within`)."""
        if not has_model_permission(user, self.model, action):
            return self.none()
        if sees_whole_district(user):
            return self
        paths = scope_paths(user)
        if not paths:
            return self.none()
        return self.within(*paths, counting=counting)

    def within(self, *organizations, subtree: bool = True, counting: bool = False):
        """The rows of these organizations and everything below them (each an organization or
        its tree path; none given, no rows), or with `subtree=False` of these organizations
        alone. The one place the subtree lookup is written.

        With `counting`, for a statement that reads every row of the subtrees (a count, a
        total): the subtrees' organizations are read once and matched on the key that leads to
        them (`= ANY(ARRAY(…))`, xiangcheng/search.py `any_of`), so a town's rows are found
        through that key's index at a cost that follows the town, where a join on the path
        sifts the whole district's. A page of a list keeps the join: the planner cannot tell
        how many rows the array finds, and would sort a whole town's rows for its first page
        rather than walk the list's ordering index."""
        if not organizations:
            return self.none()
        paths = [getattr(organization, "path", organization) for organization in organizations]
        if subtree:
            narrowed = self.filter(in_subtrees(self.model, self.model.scope_path, paths, by_key=counting))
            if not counting and by_key_applies(self.model.scope_path, paths):
                narrowed._joined_subtrees = (*self._joined_subtrees, tuple(paths))
            return narrowed
        return self.filter(reduce(or_, (models.Q(**{self.model.scope_path: path}) for path in paths)))


def in_subtrees(model, scope_path: str, paths, *, by_key: bool = False) -> models.Q:
    """Rows of `model` whose tree path (reached by `scope_path`) lies within one of `paths` (at
    least one): a join on the path, or with `by_key` (below a root: `below_roots`) the
    organizations read once and matched on the key that leads to them (see
    `ScopedQuerySet.within`)."""
    if not (by_key and by_key_applies(scope_path, paths)):
        return reduce(or_, (models.Q(**{f"{scope_path}__descendants": path}) for path in paths))
    relation, _, field = scope_path.rpartition("__")
    organizations = model_at(model, relation)._base_manager.order_by()
    subtree = reduce(or_, (models.Q(**{f"{field}__descendants": path}) for path in paths))
    return any_of(relation, organizations.filter(subtree).values("pk"))


def by_key_applies(scope_path: str, paths) -> bool:
    """Whether rows reached by `scope_path` within the subtrees of `paths` can be matched on the
    key that leads to their organization (`in_subtrees`): a model that reaches it through a
    foreign key, and subtrees below a root (`below_roots`)."""
    return "__" in scope_path and below_roots(paths)


def below_roots(paths) -> bool:
    """Whether every one of these tree paths lies below a root: only then is a subtree's rows
    found by key (`in_subtrees`); a root's subtree is the whole district, whose every
    organization in one array would be checked against every row."""
    return bool(paths) and all("." in str(path) for path in paths)


def narrows_scope(user, organization) -> bool:
    """Whether the rows within `organization`'s subtree (one the user may see) are fewer than all
    the user may see: not when the user's scope is that very subtree (a secretary's own town).
    Such a subtree is then left out of the statement. Written twice, the same condition is
    counted twice by the planner, which then expects a tenth of the town's rows and plans for
    that (a secretary's first page of the year's fulfilments at scale 2: 50 → 13 ms)."""
    return sees_whole_district(user) or [str(path) for path in scope_paths(user)] != [str(organization.path)]


def visible_within(queryset, user, organization=None, *, counting: bool = False):
    """`visible`, and given an organization the user may see, its subtree: left out when it is
    the user's whole scope (`narrows_scope`). What a count of a section or of completion reads."""
    queryset = visible(queryset, user, counting=counting)
    if organization is None or not narrows_scope(user, organization):
        return queryset
    return queryset.within(organization, counting=counting)


def counted(queryset):
    """`queryset`, the same rows written for a statement that counts them all
    (`ScopedQuerySet.counted`); any other queryset as it is."""
    return queryset.counted() if isinstance(queryset, ScopedQuerySet) else queryset


def is_scoped(model) -> bool:
    """Whether rows of `model` belong to an organization (and so must be scoped)."""
    return hasattr(model, "scope_path")


def visible(queryset, user, action: str = "view", *, counting: bool = False):
    """`queryset` limited to what `user` may `action`: `visible_to()` for an organization-owned
    model (`counting`: see `ScopedQuerySet.within`); for a model that belongs to no
    organization, all rows or none by the model permission."""
    if is_scoped(queryset.model):
        return queryset.visible_to(user, action, counting=counting)
    return queryset if has_model_permission(user, queryset.model, action) else queryset.none()


def can_see_full_numbers(user) -> bool:
    """Whether `user` may see personal numbers (ID, mobile) unmasked."""
    return bool(user and user.has_perm("xiangcheng.view_full_numbers"))
