"""The admin side of the shared mechanisms: scoping (`ScopedAdminMixin`), personal numbers
(`MaskedNumbersAdminMixin`), history, import/export (`ImportExportAdmin`, which has both), and
the lists staff edit (`NamedListAdmin`)."""

import re
import secrets
from datetime import date
from functools import cache, partial, reduce
from operator import or_

import pghistory
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import NON_FIELD_ERRORS, FieldError, PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import DateField, Max, Min, Q, TextField
from django.forms.formsets import TOTAL_FORM_COUNT
from django.http import (
    Http404,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ExportForm

from xiangcheng import imex, sqlexport
from xiangcheng.audit import history_of, show_full_numbers
from xiangcheng.constraints import constraint_fields
from xiangcheng.downloads import download
from xiangcheng.edits import (
    VERSION_FIELD,
    EditConflict,
    check_version,
    edit_version,
    event_model,
    table_version,
    version_subquery,
)
from xiangcheng.forms import (
    ProgressConfirmImportForm,
    ProgressImportForm,
    window_choices,
    window_parameter,
    year_parameter,
)
from xiangcheng.imex import CSVFormat, DatabaseStorage, ImportConflict, ImportRefused, XLSXFormat
from xiangcheng.importtemplate import import_template
from xiangcheng.models import AccessLog, ClosedReport, ImportUpload, Message, Target, TargetMilestone
from xiangcheng.paginator import LargeTablePaginator
from xiangcheng.people import person_search
from xiangcheng.periods import FIRST_YEAR, judged_parameter
from xiangcheng.progress import Progress, new_token
from xiangcheng.quality import QUALITY_PARAMETER
from xiangcheng.replicas import reads_from_replica
from xiangcheng.reports import percent
from xiangcheng.scoping import (
    can_see_full_numbers,
    counted,
    in_subtrees,
    is_scoped,
    narrows_scope,
    scope_paths,
    sees_whole_district,
    visible,
)
from xiangcheng.search import model_at, related_match, text_search
from xiangcheng.sites import choice_label, choices_follow
from xiangcheng.targets import Status, progress_list, rule_choices, rule_label
from xiangcheng.validators import MASKS, is_key, latest_record_year, not_after_today

NOT_FOUND = "记录不存在，或不在您的权限范围内。"
ORGANIZATION_CODE = re.compile(r"[A-Z0-9]{1,20}")


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter that offers only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        return [(obj.pk, str(obj)) for obj in visible(field.related_model._default_manager.all(), request.user)]


def judged_lookup(value) -> tuple[str, date | None]:
    """(state, day or None) of a judged filter's value (`periods.judged_parameter`); a malformed
    day is the list's "incorrect lookup" (the list says so and shows all its rows)."""
    judged = judged_parameter(value)
    if judged is None:
        raise IncorrectLookupParameters(f"日期无效：{value}")
    return judged


class JudgedFilter(admin.SimpleListFilter):
    """A filter of rows in a state on a day: today, or the day its value names (a report's link,
    `periods.judged_value`), which the sidebar then shows as chosen."""

    states: list[tuple[str, str]] = []

    def lookups(self, request, model_admin):
        state, on = judged_lookup(self.value()) if self.value() else (None, None)
        if on is None or state not in dict(self.states):
            return self.states
        return [*self.states, (self.value(), f"{dict(self.states)[state]}（截至 {on:%Y-%m-%d}）")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        state, on = judged_lookup(self.value())
        if state not in dict(self.states):
            return queryset
        return self.judged(queryset, state, on or timezone.localdate())

    def judged(self, queryset, state: str, on):
        raise NotImplementedError


class SubtreeFilter(admin.SimpleListFilter):
    """?org=<organization code>: the rows of that organization and everything below it. Every
    scoped admin has it, so a dashboard or report number can link to the list it counts. It
    shows in the sidebar only while in use, and only organizations the user may see apply.

    Rows of people who move between organizations (a queryset with `belonging_on`) are asked for
    where they belonged on a day, ?org=<code>@2026-03-31, as a report counts them
    (`periods.judged_value`); other rows do not move, and the day changes nothing."""

    title = "所属组织（含下级）"
    parameter_name = "org"

    def _organization(self, request):
        cache = request.__dict__.setdefault(f"_subtree_filter_{self.parameter_name}", {})
        if self.value() not in cache:
            organizations = apps.get_model("branches", "Organization").objects.visible_to(request.user)
            code, _ = judged_lookup(self.value())
            # Codes are capitals and digits; anything else (a NUL byte, say) matches nothing.
            valid = ORGANIZATION_CODE.fullmatch(code)
            cache[self.value()] = organizations.filter(code=code).first() if valid else None
        return cache[self.value()]

    def lookups(self, request, model_admin):
        if not self.value():
            return []
        organization = self._organization(request)
        if organization is None:
            return [(self.value(), "（不在权限范围内的组织）")]
        _, on = judged_lookup(self.value())
        if on is None or not hasattr(model_admin.model._default_manager, "belonging_on"):
            return [(self.value(), organization.name)]
        # A secretary sees the people of their subtree as it is now: one who belonged there on
        # the day and has since moved out is counted by the report but not listed here.
        moved = "" if sees_whole_district(request.user) else "；其后转出您权限范围的不在此列"
        return [(self.value(), f"{organization.name}（按 {on:%Y-%m-%d} 所在组织{moved}）")]

    subtree = True

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        organization = self._organization(request)
        if organization is None:
            return queryset.none()
        _, on = judged_lookup(self.value())
        if on is not None and hasattr(queryset, "belonging_on"):
            return queryset.belonging_on(on, organization, subtree=self.subtree)
        if self.subtree and not narrows_scope(request.user, organization):
            return queryset  # the list is scoped to this subtree already
        return queryset.within(organization, subtree=self.subtree)


class OrganizationOnlyFilter(SubtreeFilter):
    """?org_only=<organization code>: the rows of that organization alone, not those below it
    (a per-branch number of the completion page links here)."""

    title = "所属组织（本级）"
    parameter_name = "org_only"
    subtree = False


class YearFilter(admin.SimpleListFilter):
    """The years of the model's `year` column, newest first: every year from the lowest to the
    highest (two probes of an index that leads with the year) where Django's own filter reads
    every row for the distinct values. `?year__exact=` as Django's, so links stay the same."""

    parameter_name = "year__exact"

    def __init__(self, request, params, model, model_admin):
        self.title = model._meta.get_field("year").verbose_name
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        bounds = model_admin.model._default_manager.order_by().aggregate(low=Min("year"), high=Max("year"))
        if bounds["low"] is None:
            return []
        # Within the years a record may be for: a slip saved before they were checked (3000)
        # would offer every user a thousand years.
        high, low = min(bounds["high"], latest_record_year()), max(bounds["low"], FIRST_YEAR)
        return [(str(year), f"{year}年") for year in range(high, low - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        year = year_parameter(self.value())
        return queryset.none() if year is None else queryset.filter(year=year)


class WindowFilter(admin.SimpleListFilter):
    """A list filter over a date window: the quarters and years it offers, or any
    "2026-10-01~2026-12-31" a report's number links with (`forms.window_value`). A subclass says
    which rows a window holds (`filter_window`), calling the queryset method the report counts
    with, so a number opens exactly its rows."""

    def lookups(self, request, model_admin):
        return window_choices(timezone.localdate())

    def queryset(self, request, queryset):
        window = window_parameter(self.value())
        return queryset if window is None else self.filter_window(queryset, window)

    def filter_window(self, queryset, window):
        raise NotImplementedError


class QualityFilter(admin.SimpleListFilter):
    """The rows the data-quality checks find, where they are fixed (the page in quality.py links
    here): a subclass names its checks as {value: (label, rows(user))}, as
    `quality.quality_filter_checks(Model)` gives them."""

    title = "数据问题"
    parameter_name = QUALITY_PARAMETER
    checks: dict = {}

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.checks.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.checks:
            return queryset
        return queryset.filter(pk__in=self.checks[self.value()][1](request.user).values("pk"))


# The search box (PostedSearchAdminMixin): the token in the URL, the texts in the session.
SEARCH_TOKEN = "_q"
SEARCH_SESSION_KEY = "xiangcheng_searches"
SEARCHES_KEPT = 20
SEARCH_MAX_CHARS = 200


def back_to_list(model) -> HttpResponseRedirect:
    """To `model`'s admin list with Django's "filters could not be applied" flag: what a list does
    with a filter it cannot apply, for the pages (exports) reached with the list's filters."""
    opts = model._meta
    return HttpResponseRedirect(f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{ERROR_FLAG}=1")


class ValidKeysAutocompleteMixin:
    """Django's autocomplete widget, except that a submitted value that is no valid key ("abc"
    for a numeric id) is dropped when the form is shown again with its errors: Django's filters
    by it and answers 500. A chosen record is named as the picker names it (`choice_label`)."""

    def optgroups(self, name, value, attr=None):
        kept = [item for item in value if is_key(self.field.target_field, item)]
        model_admin = self.admin_site._registry.get(self.field.remote_field.model)
        if model_admin is not None and hasattr(model_admin, "choice_label"):
            self.choices.field.label_from_instance = partial(choice_label, model_admin)
        return super().optgroups(name, kept, attr)

    @property
    def media(self):
        # Sends the value of the field a picker follows (`choices_follow`) as the user types; named
        # after the scripts it needs, so that the page loads it after them.
        after = ["admin/js/jquery.init.js", "admin/js/autocomplete.js", "xiangcheng/forward.js"]
        return super().media + forms.Media(js=after)


class AutocompleteSelect(ValidKeysAutocompleteMixin, admin_widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(ValidKeysAutocompleteMixin, admin_widgets.AutocompleteSelectMultiple):
    pass


class NoLaterThanTodayDateWidget(admin_widgets.AdminDateWidget):
    """The admin's date box for a day that cannot be later than today (`not_after_today`: a
    visit, a fulfilment, a log entry): its calendar offers 昨天 and 今天 but not 明天, nor any day
    after today in its month grid, which the field would refuse
    (xiangcheng/static/xiangcheng/no_later_than_today.js)."""

    class Media:
        # Named after the scripts it needs, so that the page loads it after them.
        js = ["admin/js/calendar.js", "admin/js/admin/DateTimeShortcuts.js", "xiangcheng/no_later_than_today.js"]

    def __init__(self, attrs=None, format=None):
        super().__init__({**(attrs or {}), "data-latest": "today"}, format)


class ReadOnlyAdminMixin:
    """A list to read, never to edit in the portal: logs, stored reports, statistics."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MaskedColumn:
    """`masked_<field>`: a read-only column or form field showing a personal number of the
    admin's model (`personal_fields`) masked, labelled with the field's own name. A descriptor,
    because the label and the mask depend on the model of the admin it is read from."""

    def __set_name__(self, owner, name):
        self.field_name = name.removeprefix("masked_")

    def __get__(self, model_admin, owner=None):
        if model_admin is None:
            return self
        kind = getattr(model_admin.model, "personal_fields", {}).get(self.field_name)
        if kind is None:
            raise AttributeError(f"{model_admin.model.__name__} has no personal field {self.field_name}")
        field_name = self.field_name

        def masked(obj):
            value = getattr(obj, field_name)
            return MASKS[kind](value) if value else "—"

        masked.short_description = model_admin.model._meta.get_field(field_name).verbose_name
        return masked


class EditConflictAdminMixin:
    """A change form refuses to save over a version of its record newer than the one it was
    opened on (xiangcheng/edits.py); the hidden input is written by templates/admin/change_form.html."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Once, here: a form class made per request has its fields made again.
        self.form = rules_beside_fields(self.form)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None or event_model(self.model) is None:
            return form

        class GuardedForm(form):
            def clean(self):
                cleaned = super().clean()
                try:
                    check_version(self.instance, self.data.get(VERSION_FIELD))
                except EditConflict as conflict:
                    self.add_error(None, conflict)
                return cleaned

        GuardedForm.__name__ = form.__name__
        return GuardedForm

    def changelist_view(self, request, extra_context=None):
        # A list's edits are checked against their rows' versions (locking them) and saved in one
        # transaction; Django opens its own only around the save, after the check.
        if request.method == "POST" and getattr(self, "list_editable", None):
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        # A list with editable columns knows each row's version, for its forms, in the same query.
        queryset = super().get_queryset(request)
        if getattr(self, "list_editable", None) and event_model(self.model) is not None:
            queryset = queryset.annotate(**{VERSION_FIELD: version_subquery(self.model)})
        return queryset

    def get_changelist_form(self, request, **kwargs):
        form = super().get_changelist_form(request, **kwargs)
        if event_model(self.model) is None:
            return form

        class GuardedRowForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields[VERSION_FIELD] = forms.IntegerField(
                    widget=forms.HiddenInput, required=False, initial=getattr(self.instance, VERSION_FIELD, 0)
                )

            def clean(self):
                cleaned = super().clean()
                changed = [name for name in self.changed_data if name != VERSION_FIELD]
                if self.instance.pk is not None and changed:
                    try:
                        check_version(self.instance, self.data.get(self.add_prefix(VERSION_FIELD)))
                    except EditConflict as conflict:
                        # The list shows a row's errors in its editable cells only; shown again,
                        # the row carries its version now, so saving again overwrites knowingly.
                        self.add_error(changed[0], conflict)
                        self.data = self.data.copy()
                        self.data[self.add_prefix(VERSION_FIELD)] = conflict.current
                return cleaned

        GuardedRowForm.__name__ = form.__name__
        return GuardedRowForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and event_model(self.model) is not None:
            context = {**context, "edit_version_field": VERSION_FIELD, "edit_version": edit_version(obj)}
        return super().render_change_form(request, context, add, change, form_url, obj)


class PostedSearchAdminMixin:
    """A list's search box posts its text, which is kept in the session under a short token:
    the list's URL, its links (pages, sorting, filters) and so the server's logs carry `_q=<token>`,
    never the text, an ID number typed in it least of all. `?q=` in a URL still searches."""

    search_by_post = True

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "_search" in request.POST:
            return self._remember_search(request)
        return super().changelist_view(request, extra_context)

    def _remember_search(self, request):
        ignored = {"csrfmiddlewaretoken", "_search", SEARCH_VAR, SEARCH_TOKEN, PAGE_VAR}
        params = {key: value for key, value in request.POST.items() if key not in ignored}
        # A NUL cannot travel to PostgreSQL: typed into the box, it is left out.
        text = request.POST.get(SEARCH_VAR, "").replace("\x00", "").strip()[:SEARCH_MAX_CHARS]
        if text:
            token = secrets.token_urlsafe(6)
            searches = request.session.get(SEARCH_SESSION_KEY, {})
            searches[token] = text
            request.session[SEARCH_SESSION_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
            params[SEARCH_TOKEN] = token
        return HttpResponseRedirect(f"{request.path}?{urlencode(params)}" if params else request.path)

    def searched_text(self, request) -> str:
        """The text behind the list's `_q` token ("" without one, or from another session)."""
        token = request.GET.get(SEARCH_TOKEN)
        return request.session.get(SEARCH_SESSION_KEY, {}).get(token, "") if token else ""

    def list_search(self, request) -> str:
        """What the list searches for: its `q`, or the text behind its `_q` token."""
        return request.GET.get(SEARCH_VAR, "") or self.searched_text(request)

    # The people (`xiangcheng.people.PinyinNamed`) whose names the box finds by characters, full
    # pinyin or initials (`person_search`): "name" for the list's own person, or the relation to
    # one with its name ("pledge__member__name"). A term that is no name (digits) is searched as
    # Django does; for a name, the exact fields ("=id_number") are left out: a name is no number.
    person_search_fields: tuple[str, ...] = ()
    # Text fields found through their characters index (`xiangcheng.search.text_index`), for
    # every term. With these two, a list's search is index scans ORed on its own table; what
    # else search_fields names is searched as Django does (a scan, fine for small tables).
    text_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or self.searched_text(request)).strip()
        people = person_search(term) if self.person_search_fields and term else None
        texts = self.text_search_fields if term else ()
        if not people and not texts:
            return super().get_search_results(request, queryset, term)
        # People first: PostgreSQL checks an OR's arms in order for every row it found, and a row
        # found by its person's key then skips splitting its texts (a staff search for 王 among
        # 215,000 fulfilments counts its 6,800 rows in about two thirds of the time).
        matches, searched = [], set(texts)
        if people:
            matches += [self._related(request, path, people) for path in self.person_search_fields]
            exact = {field for field in self.get_search_fields(request) if field.startswith("=")}
            searched |= {*self.person_search_fields, *exact}
        matches += [self._related(request, path, text_search(path.rpartition("__")[2], term)) for path in texts]
        matched = queryset.filter(reduce(or_, matches))
        request._searched_otherwise = searched
        try:
            if not self.get_search_fields(request):
                return matched, False
            rest, may_have_duplicates = super().get_search_results(request, queryset, term)
        finally:
            del request._searched_otherwise
        return matched | rest, may_have_duplicates

    def _related(self, request, path: str, match: Q) -> Q:
        """`match`, a Q on the model holding the last field of `path`, as a Q on this list's model.

        A row reached along the list's own scope path (a fulfilment's member) lies in the user's
        subtrees whenever the list's row does, so for a user who sees only part of the district
        the search reads the matches of that part: a town's people named 王, not the district's."""
        relation = path.rpartition("__")[0]
        scope = getattr(self.model, "scope_path", "")
        if relation and scope.startswith(f"{relation}__") and not sees_whole_district(request.user):
            paths = scope_paths(request.user)
            if paths:
                matched = model_at(self.model, relation)
                match &= in_subtrees(matched, scope.removeprefix(f"{relation}__"), paths, by_key=True)
        return related_match(self.model, relation, match)

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        searched = getattr(request, "_searched_otherwise", None)
        if searched is None:
            return fields
        return [field for field in fields if field not in searched]

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)

        class TokenSearchChangeList(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # Each row's link carries the list's filters back to it, written here once:
                # Django's row loop resolves every row's URL again to learn that a change page
                # is no changelist, which took a third of a searched or filtered page.
                self.row_query, self.preserved_filters = self.preserved_filters, ""

            def get_results(self, request):
                # The total without the list's filters (`show_full_result_count`) is counted as
                # the list's own count is (`ScopedQuerySet.counted`); the list's rows stay as built.
                root = self.root_queryset
                self.root_queryset = counted(root)
                try:
                    super().get_results(request)
                finally:
                    self.root_queryset = root

            def url_for_result(self, result):
                url = super().url_for_result(result)
                return f"{url}?{self.row_query}" if self.row_query else url

            def get_filters_params(self, params=None):
                # The token is carried by every link of the list, but it filters nothing itself.
                params = super().get_filters_params(params)
                params.pop(SEARCH_TOKEN, None)
                return params

        return TokenSearchChangeList

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.query = self.list_search(request)  # what the box shows
        return changelist


# How much of a free text a list shows.
LIST_TEXT_CHARS = 120


def _is_text(model, entry) -> bool:
    return isinstance(entry, str) and isinstance(_field_or_none(model, entry), TextField)


@cache
def _shortened(model, name: str):
    """The list column of the text field `name`, cut after LIST_TEXT_CHARS (its header, sorting
    and cell class as the field's own)."""
    field = model._meta.get_field(name)

    def shortened(obj):
        text = getattr(obj, name)
        return f"{text[:LIST_TEXT_CHARS]}…" if text and len(text) > LIST_TEXT_CHARS else text

    shortened.__name__ = name
    return admin.display(description=field.verbose_name, ordering=name)(shortened)


class ScopedAdminMixin(PostedSearchAdminMixin, EditConflictAdminMixin):
    """Applies `visible_to(user)` everywhere the admin reaches rows: lists, objects, choices,
    filters, autocomplete, actions, permissions and history. For ModelAdmin and inlines alike.
    Lists over a whole large table are counted from PostgreSQL's estimate (xiangcheng/paginator.py)."""

    paginator = LargeTablePaginator

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        # A list that searches nothing (`?q=` typed onto the cadre statistics) counts exactly.
        paginator.searched = bool(self.list_search(request) and self.get_search_fields(request))
        # A search's count is led by what it matches (each match found by its own index); the
        # subtrees matched by key as well would lead it through every row of the town instead
        # (a secretary's search for one name at scale 2: 2 → 38 ms).
        if not paginator.searched:
            paginator.counted_rows = counted(queryset)
        return paginator

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            action, name, description = actions["delete_selected"]
            actions["delete_selected"] = (bounded_delete(action), name, description)
        return actions

    def response_action(self, request, queryset):
        # A posted row that is no row's key ("abc", "1.5", twenty digits) selects nothing, as a
        # key of a row gone does: Django filtered by it and answered 500.
        chosen = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        keys = [value for value in chosen if is_key(self.model._meta.pk, value)]
        if len(keys) < len(chosen):
            request.POST = request.POST.copy()
            request.POST.setlist(admin.helpers.ACTION_CHECKBOX_NAME, keys)
        return super().response_action(request, queryset)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # No rows at all without the model permission: that is Django's 403, not a 404.
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            raise Http404(NOT_FOUND)
        return obj

    def _scope_choices(self, db_field, request, kwargs):
        if not is_scoped(db_field.related_model):
            return
        queryset = kwargs.get("queryset")
        if queryset is None:
            # The related admin's ordering when it has one, as Django itself would choose.
            queryset = self.get_field_queryset(None, db_field, request)
        if queryset is None:
            queryset = db_field.related_model._default_manager.all()
        kwargs["queryset"] = queryset.visible_to(request.user)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if (
            isinstance(db_field, DateField)
            and not_after_today in db_field.validators
            and formfield is not None
            and isinstance(formfield.widget, admin_widgets.AdminDateWidget)
        ):
            formfield.widget = NoLaterThanTodayDateWidget(attrs=formfield.widget.attrs)
        return formfield

    def _picker(self, widget_class, db_field, kwargs):
        follow = choices_follow(self.admin_site, db_field)
        attrs = {"data-forward": follow[0]} if follow else None
        return widget_class(db_field, self.admin_site, attrs=attrs, using=kwargs.get("using"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._scope_choices(db_field, request, kwargs)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = self._picker(AutocompleteSelect, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._scope_choices(db_field, request, kwargs)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = self._picker(AutocompleteSelectMultiple, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        return scoped_form(super().get_form(request, obj, **kwargs), request.user)

    def get_formset(self, request, obj=None, **kwargs):
        # An inline's rows are scoped as the record's own form is, and a save adds a few at most.
        kwargs.setdefault("form", scoped_form(self.form, request.user))
        kwargs.setdefault("formset", capped_formset(self.formset))
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            # A row's picker that follows the page's record (`choices_follow`) sends its key.
            for field in formset.form.base_fields.values():
                widget = getattr(field.widget, "widget", field.widget)
                if widget.attrs.get("data-forward") == formset.fk.name:
                    widget.attrs["data-forward-value"] = obj.pk
        return formset

    def get_list_display(self, request):
        # Free text shows in a list up to LIST_TEXT_CHARS, whole on the record's page: a page of
        # text pasted into a visit once made its row 26,000 pixels tall on a phone.
        return [
            _shortened(self.model, entry) if _is_text(self.model, entry) and entry not in self.list_editable else entry
            for entry in super().get_list_display(request)
        ]

    def get_list_filter(self, request):
        # The subtree filters come first: Django applies list filters in this order, and a filter
        # that counts per row (pledges not yet fulfilled, say) then counts only the subtree's rows.
        scoped = [SubtreeFilter, OrganizationOnlyFilter] if is_scoped(self.model) else []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                field = _field_or_none(self.model, entry)
                if field is not None and field.is_relation and is_scoped(field.related_model):
                    entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def _in_scope(self, request, obj) -> bool:
        # For an inline, `obj` is the parent object, not a row of the inline's model: check the
        # object's own model.
        model = type(obj)
        if obj is None or not is_scoped(model):
            return True
        cache = request.__dict__.setdefault("_scope_cache", {})
        key = (model._meta.label, obj.pk)
        if key not in cache:
            cache[key] = model._default_manager.filter(pk=obj.pk).visible_to(request.user).exists()
        return cache[key]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        """The audit trail of one record: scoped like the record, read-only."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        obj = self.get_object(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"变更历史：{obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "events": history_of(obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/audit_history.html", context)


class MaskedNumbersAdminMixin:
    """Shows the personal numbers of the model (its `personal_fields`) masked on its pages, unless
    the user may see them in full; a page showing them in full is written to the access log. On a
    record the user may change, a masked number is an empty box with the masked number as its
    placeholder: typing a whole new number corrects it, leaving it empty keeps it
    (`write_only_numbers`; a phone number changes, a household's ID number is filled in later).
    Elsewhere (a record the user may only view, an inline row) it is a read-only `masked_<field>`
    column. For ModelAdmin and inlines alike."""

    # A model with a new personal field gets its column here.
    masked_id_number = MaskedColumn()
    masked_mobile = MaskedColumn()
    masked_head_id_number = MaskedColumn()
    masked_contact = MaskedColumn()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # A phone number is typed on a phone's number pad.
        if getattr(self.model, "personal_fields", {}).get(db_field.name) == "mobile" and formfield is not None:
            formfield.widget.attrs.setdefault("inputmode", "tel")
        return formfield

    def _masked(self, request, obj) -> dict:
        """The personal fields to show masked: those of the model on an existing record, unless
        the user may see full numbers (the add page has no numbers to hide)."""
        if obj is None or can_see_full_numbers(request.user):
            return {}
        return getattr(self.model, "personal_fields", {})

    def _write_only(self, request, obj) -> dict:
        """The masked fields the user corrects without reading them: on the page of a record
        they may change (an inline row, or a page the user may only view, shows the column)."""
        if isinstance(self, admin.options.InlineModelAdmin) or not self.has_change_permission(request, obj):
            return {}
        return self._masked(request, obj)

    def _shown_masked(self, request, obj) -> dict:
        write_only = self._write_only(request, obj)
        return {name: kind for name, kind in self._masked(request, obj).items() if name not in write_only}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + [f"masked_{name}" for name in self._shown_masked(request, obj)]

    def get_fields(self, request, obj=None):
        masked = self._shown_masked(request, obj)
        return [f"masked_{name}" if name in masked else name for name in super().get_fields(request, obj)]

    def get_fieldsets(self, request, obj=None):
        # Declared fieldsets name the personal fields themselves; show their masked columns instead
        # (fieldsets built from get_fields() are masked there already).
        fieldsets = super().get_fieldsets(request, obj)
        masked = self._shown_masked(request, obj)
        if self.fieldsets and masked:
            return [
                (title, {**options, "fields": [f"masked_{f}" if f in masked else f for f in options["fields"]]})
                for title, options in fieldsets
            ]
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        masked = self._shown_masked(request, obj)
        if masked:
            kwargs["exclude"] = [
                *(kwargs.get("exclude") or self.get_exclude(request, obj) or []),
                *self.get_readonly_fields(request, obj),
                *masked,
            ]
        form = super().get_form(request, obj, **kwargs)
        write_only = self._write_only(request, obj)
        return write_only_numbers(form, write_only) if write_only else form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and getattr(self.model, "personal_fields", {}):
            show_full_numbers(request.user, f"{self.model._meta.verbose_name}：{obj}")
        return super().render_change_form(request, context, add, change, form_url, obj)


# What a masked number's box says below it.
WRITE_ONLY_HELD = "已登记的号码只显示部分；如需更正，请输入完整的新号码，留空则不变。"
WRITE_ONLY_EMPTY = "尚未登记，可在此填写。"


_django_readonly_link = admin.helpers.AdminReadonlyField.get_admin_url


def readonly_link(readonly_field, remote_field, remote_obj) -> str:
    """`AdminReadonlyField.get_admin_url`: a read-only field links the record it names only for a
    user who may open it, and names it as text for anyone else (Django links it always: a member's
    transfer from another town led a secretary to "记录不存在", a talent's 产业 to 无权访问)."""
    user = getattr(readonly_field.form, "portal_user", None)
    if user is not None and not visible(type(remote_obj)._default_manager.filter(pk=remote_obj.pk), user).exists():
        return str(remote_obj)
    return _django_readonly_link(readonly_field, remote_field, remote_obj)


_django_list_filters = ChangeList.get_filters


def guarded_list_filters(changelist, request):
    """`ChangeList.get_filters`, for every list: a filter value PostgreSQL cannot take (a NUL
    character: `?status__exact=%00`) or a year past any calendar (`?start__year=9999…`) is a
    filter the list cannot apply (Django's "?e=1", the list unfiltered), not a 500."""
    if any("\x00" in value for values in changelist.get_filters_params().values() for value in values):
        raise IncorrectLookupParameters("NUL")
    try:
        return _django_list_filters(changelist, request)
    except OverflowError as error:
        raise IncorrectLookupParameters(error) from error


# Django's own, which `action_checkbox` writes alike (tests/xiangcheng/test_action_checkbox.py).
_django_action_checkbox = admin.ModelAdmin.action_checkbox


def action_checkbox(model_admin, obj):
    """`ModelAdmin.action_checkbox`, for every list: a row's checkbox, the markup Django's checkbox
    widget renders through the template engine (100 µs a row: 10 ms of a hundred-row page). Its
    value is the row's key; Django leaves the attribute out for an empty key, which no table here has."""
    return format_html(
        '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
        admin.helpers.ACTION_CHECKBOX_NAME,
        str(obj.pk),
        format_html(gettext("Select this object for an action - {}"), str(obj)),
    )


# New rows an inline takes in one save: a person adds a few (a thousand are an import's).
NEW_ROWS_AT_ONCE = 50


def capped_formset(formset_class):
    """An inline formset that builds its record's rows and NEW_ROWS_AT_ONCE new ones at most,
    whatever count the page posts, and refuses more: Django builds (and shows again) as many as
    the posted count says, up to 2,000 (a posted "99999999" held a server for 16 seconds)."""

    class CappedFormSet(formset_class):
        def _most_forms(self) -> int:
            return len(self.get_queryset()) + NEW_ROWS_AT_ONCE

        def total_form_count(self):
            total = super().total_form_count()
            return min(total, self._most_forms()) if self.is_bound else total

        def clean(self):
            super().clean()
            form = self.management_form
            if self.is_bound and form.is_valid() and form.cleaned_data[TOTAL_FORM_COUNT] > self._most_forms():
                raise ValidationError(f"一次最多新增 {NEW_ROWS_AT_ONCE} 行，请分几次保存。", code="too_many_forms")

    CappedFormSet.__name__ = formset_class.__name__
    return CappedFormSet


def write_only_numbers(form_class, fields: dict):
    """A form class whose personal number `fields` ({name: kind}) never show the record's number:
    each box starts empty, its placeholder the masked number; a number typed in replaces it
    (checked as on any form: its format, and unique where the number must be), an empty box
    keeps it."""

    class WriteOnlyNumbersForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, kind in fields.items():
                if name not in self.fields:
                    continue
                held = getattr(self.instance, name)
                field = self.fields[name]
                field.required = False
                self.initial[name] = ""
                field.widget.attrs.update(placeholder=MASKS[kind](held) if held else "", autocomplete="off")
                field.help_text = WRITE_ONLY_HELD if held else WRITE_ONLY_EMPTY

        def _post_clean(self):
            # An empty box keeps the record's number (validated with the record, as it stands).
            for name in fields:
                if name in self.fields and name not in self._errors and not self.cleaned_data.get(name):
                    self.cleaned_data[name] = getattr(self.instance, name)
            super()._post_clean()

    WriteOnlyNumbersForm.__name__ = form_class.__name__
    return WriteOnlyNumbersForm


class RulesBesideFieldsForm(forms.BaseModelForm):
    """How every admin form shows what the record's rules refuse: a rule over a field that failed
    its own check (too long, not a date) is not shown, as that field never reached the record,
    whose rules then find it empty ("须填写服务的企业" under a name too long to save); a
    constraint's refusal goes beside the first of its fields the form shows
    (`constraints.constraint_fields`), not to the top of the page, far from the field on a phone."""

    def _clean_fields(self):
        super()._clean_fields()
        self._failed_fields = set(self._errors) - {NON_FIELD_ERRORS}

    def _update_errors(self, errors):
        failed = getattr(self, "_failed_fields", set())
        if hasattr(errors, "error_dict") and failed:
            errors.error_dict = {name: found for name, found in errors.error_dict.items() if name not in failed}
            if not errors.error_dict:
                return
        if hasattr(errors, "error_dict") and NON_FIELD_ERRORS in errors.error_dict:
            errors.error_dict = self._beside_their_fields(errors.error_dict)
        super()._update_errors(errors)

    def _beside_their_fields(self, error_dict: dict) -> dict:
        about = constraint_fields(self._meta.model)
        placed = {name: list(found) for name, found in error_dict.items() if name != NON_FIELD_ERRORS}
        for error in error_dict[NON_FIELD_ERRORS]:
            fields = [name for name in about.get(next(iter(error)), ()) if name in self.fields]
            placed.setdefault(fields[0] if fields else NON_FIELD_ERRORS, []).append(error)
        return placed


def rules_beside_fields(form_class):
    """`form_class` showing its record's refusals as `RulesBesideFieldsForm` does (once)."""
    if issubclass(form_class, RulesBesideFieldsForm):
        return form_class

    class Placed(RulesBesideFieldsForm, form_class):
        pass

    Placed.__name__ = form_class.__name__
    return Placed


def scoped_form(form_class, user):
    """A form class whose choice fields of scoped models (declared ones included) offer only
    what `user` may see, and what the record holds already: a secretary's pairing with another
    town's household keeps it (and can be saved, a visit added), but cannot be given another
    one the secretary may not see; an action branch keeps its secretary who has since moved
    away. A held choice the user may not open shows without links to it. Scoped per form
    instance: the class's fields are shared by all users."""

    class ScopedForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Whose page it is, for its read-only fields' links (`readonly_link`).
            self.portal_user = user
            for name, field in self.fields.items():
                queryset = getattr(field, "queryset", None)
                if queryset is not None and is_scoped(queryset.model):
                    field.queryset = self._held_or_visible(name, queryset)

        def _held_or_visible(self, name, queryset):
            visible = queryset.visible_to(user)
            held = self.initial.get(name) if self.instance.pk is not None else None
            held = [getattr(value, "pk", value) for value in (held if isinstance(held, list | tuple) else [held])]
            held = [value for value in held if value not in (None, "")]
            if not held:
                return visible
            if visible.filter(pk__in=held).count() == len(held):
                return visible
            # `queryset` may be narrowed already (`formfield_for_foreignkey`, a branch's members
            # as they are now): the held choice is added to the model's rows, in the same order.
            every = queryset.model._default_manager.all()
            if every.visible_to(user).filter(pk__in=held).count() < len(held):
                widget = self.fields[name].widget
                for link in ("can_change_related", "can_view_related", "can_delete_related"):
                    if hasattr(widget, link):
                        setattr(widget, link, False)
            if queryset.query.order_by:
                every = every.order_by(*queryset.query.order_by)
            return every.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=held))

    ScopedForm.__name__ = form_class.__name__
    return ScopedForm


# Rows one deletion takes: its confirmation page lists every row and what goes with it.
MOST_DELETED_AT_ONCE = 500


def bounded_delete(action):
    """Django's "delete selected" for at most MOST_DELETED_AT_ONCE rows: selecting a whole list of
    25,000 members had its confirmation page held a server for 109 seconds."""

    def delete_selected(model_admin, request, queryset):
        if queryset[: MOST_DELETED_AT_ONCE + 1].count() > MOST_DELETED_AT_ONCE:
            model_admin.message_user(
                request, f"一次最多删除 {MOST_DELETED_AT_ONCE} 条记录，请先筛选，再分批删除。", messages.ERROR
            )
            return None
        return action(model_admin, request, queryset)

    return delete_selected


def _field_or_none(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


class ImportExportAdmin(MaskedNumbersAdminMixin, ScopedAdminMixin, ImportExportModelAdmin):
    """The admin base for every model with import/export: scoped, masked, permissioned, logged."""

    tmp_storage_class = DatabaseStorage
    import_form_class = ProgressImportForm
    confirm_form_class = ProgressConfirmImportForm
    export_form_class = ExportForm
    skip_import_confirm = False

    def get_import_formats(self):
        resource = self.get_import_resource_classes(None)[0]()
        headers = resource.accepted_headers()
        required = resource.required_headers()
        return [
            type(format_class.__name__, (format_class,), {"headers": headers, "required_headers": required})
            for format_class in (CSVFormat, XLSXFormat)
        ]

    def get_export_formats(self):
        return [CSVFormat, XLSXFormat]

    def get_import_context_data(self, **kwargs):
        """The import page says which columns a file must have, and where an organization may be
        given by its name (imex._lookup), and offers the template to fill in."""
        context = super().get_import_context_data(**kwargs)
        resource = self.get_import_resource_classes(None)[0]()
        context["required_headers"] = resource.required_headers()
        context["named_columns"] = resource.columns_taking_names()
        opts = self.model._meta
        context["import_template_url"] = reverse(f"admin:{opts.app_label}_{opts.model_name}_import_template")
        return context

    def get_urls(self):
        opts = self.model._meta
        template = path(
            "import/template/",
            self.admin_site.admin_view(self.import_template_view),
            name=f"{opts.app_label}_{opts.model_name}_import_template",
        )
        return [template, *super().get_urls()]

    def import_template_view(self, request):
        """The XLSX to fill in for an import (xiangcheng/importtemplate.py), for whoever may import."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource_classes(request)[0](user=request.user)
        name = f"{self.model._meta.verbose_name_plural}导入模板"
        return download(request, import_template(resource), filename=f"{name}.xlsx", what=name, rows=1)

    def has_import_permission(self, request):
        return (
            request.user.has_perm("xiangcheng.import_data")
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def has_export_permission(self, request):
        return request.user.has_perm("xiangcheng.export_data") and self.has_view_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        # The token of the form posted (preview or confirm) tells the page how far the import is.
        posted = getattr(kwargs.get("form"), "cleaned_data", None) or {}
        if isinstance(kwargs.get("form"), ProgressConfirmImportForm):
            # The confirm: rows edited since the preview make it ask again (xiangcheng/edits.py).
            version = {"preview_version": posted.get("preview_version") or 0}
        else:
            # The preview: the table's version before it reads a row, for the confirm form.
            if request.method == "POST":
                request._preview_version = table_version(self.model)
            version = {}
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            "user": request.user,
            "progress": Progress(request.user, posted.get("progress_token")),
            **version,
        }

    def write_to_tmp_storage(self, import_file, input_format):
        # As django-import-export's, but the chunks joined once (its `data += chunk` copies the
        # file once per chunk).
        storage_class = self.get_tmp_storage_class()
        storage = storage_class(read_mode=input_format.get_read_mode(), **self.get_tmp_storage_class_kwargs())
        storage.save(b"".join(import_file.chunks()))
        return storage

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if not initial:
            return initial
        return {**initial, "progress_token": new_token(), "preview_version": getattr(request, "_preview_version", 0)}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.pop("request", None)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_import(self, request, **kwargs):
        """The confirm step, for a confirm form as the preview wrote it: one posted again (a
        double tap, the back button) finds its file imported already, and one tampered with
        (a format or a file that is not there) is answered in Chinese; each had answered 500."""
        if request.method == "POST" and self.has_import_permission(request):
            refused = self._confirm_refused(request)
            if refused is None:
                try:
                    return super().process_import(request, **kwargs)
                except ImportRefused as error:
                    refused = str(error)
            self.message_user(request, refused, messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_import(request, **kwargs)

    def _confirm_refused(self, request) -> str | None:
        posted = request.POST
        chosen = {"format": len(self.get_import_formats()), "resource": len(self.get_import_resource_classes(request))}
        for name, count in chosen.items():
            value = posted.get(name, "0") or "0"
            if not (value.isascii() and value.isdigit() and int(value) < count):
                return "导入确认无效，请重新上传文件。"
        if not ImportUpload.objects.filter(name=posted.get("import_file_name", "").replace("\x00", "")).exists():
            return "这个文件已经导入或已过期，无需再次确认；如需再导入，请重新上传。"
        return None

    def process_dataset(self, dataset, form, request, **kwargs):
        name = form.cleaned_data.get("original_file_name") or ""
        with pghistory.context(import_file=name):
            return super().process_dataset(dataset, form, request, **kwargs)

    def process_result(self, result, request):
        conflicts = [error.error for error in result.base_errors if isinstance(error.error, ImportConflict)]
        if conflicts:
            self.message_user(request, str(conflicts[0]), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, "导入未完成：有数据行无效，没有写入任何数据。请修正后重新导入。", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        # The file was stored for the confirm step before it was read: a refused one goes.
        stored = getattr(form.cleaned_data.get("import_file"), "tmp_storage_name", None)
        if stored:
            DatabaseStorage(name=stored).remove()
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        else:
            form.add_error("import_file", "无法读取文件，请确认选择了正确的格式（CSV 或 XLSX）。")

    @reads_from_replica
    def export_action(self, request):
        try:
            return super().export_action(request)
        except (IncorrectLookupParameters, FieldError):
            return back_to_list(self.model)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """Every export is one SELECT compiled from the resource (xiangcheng/sqlexport.py): a CSV
        streams from PostgreSQL's COPY as it comes; an XLSX is written from the same rows in
        constant memory. Above Excel's own limit an XLSX is refused (the form shows why)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        rows = queryset.count()
        if isinstance(file_format, XLSXFormat) and rows > imex.MAX_XLSX_ROWS:
            raise ValueError(
                f"共 {rows:,} 行，超过 Excel（XLSX）一张工作表的上限 {imex.MAX_XLSX_ROWS:,} 行。"
                "请改选 CSV 格式导出（CSV 可用 Excel 或 WPS 打开），或先筛选缩小范围。"
            )
        resource_class = self.choose_export_resource_class(export_form, request)
        resource = resource_class(**self.get_export_resource_kwargs(request, export_form=export_form))
        selected = self.get_export_resource_fields_from_form(export_form)
        if isinstance(file_format, XLSXFormat):
            content = sqlexport.xlsx_file(resource, queryset, export_fields=selected)
        elif rows <= imex.STREAM_CSV_FROM_ROWS:
            # A small file goes out whole, with its length (the browser shows its progress).
            content = b"".join(sqlexport.stream_csv(resource, queryset, export_fields=selected))
        else:
            content = sqlexport.stream_csv(resource, queryset, export_fields=selected)
        filename = self.get_export_filename(request, queryset, file_format)
        return download(request, content, filename=filename, what=str(self.model._meta.verbose_name), rows=rows)

    def get_export_filename(self, request, queryset, file_format):
        # Chinese, as users name their files: 人才-2020-05-17.csv.
        today = timezone.localdate()
        return f"{self.model._meta.verbose_name_plural}-{today:%Y-%m-%d}.{file_format.get_extension()}"


class NamedListAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    """The admin of a list staff edit (`xiangcheng.models.NamedList`); each app registers its
    lists with it, at their own URLs (/admin/talent/honour/, /admin/cadres/assessmentdimension/)."""

    list_display = ["name", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "what", "rows"]
    list_filter = ["action"]
    list_select_related = ["user"]
    search_fields = ["what", "user__username"]
    date_hierarchy = "at"


class TargetMilestoneInline(admin.TabularInline):
    model = TargetMilestone
    extra = 1


def render_status(status: str):
    """A pace status (xiangcheng/targets.py) as every list shows it: its label in its colour
    (the status-* classes of portal.css)."""
    return format_html('<strong class="status-{}">{}</strong>', status, Status(status).label)


@admin.register(Target)
class TargetAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    """Plan targets with their progress today. Targets are district-wide, so not scoped."""

    inlines = [TargetMilestoneInline]
    list_display = ["name", "rule_name", "window", "value", "actual", "expected", "ratio", "status", "projected"]
    search_fields = ["name", "notes"]
    ordering = ["start", "name"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The rules are registered at start-up, so their choices cannot live on the model field.
        if db_field.name == "rule":
            return forms.ChoiceField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                choices=lambda: [("", "---------"), *rule_choices()],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_changelist_instance(self, request):
        # Progress of the whole page at once: one query counts every target, milestones prefetched.
        changelist = super().get_changelist_instance(request)
        today = timezone.localdate()
        for target, target_progress in progress_list(changelist.result_list, today):
            target.progress_today = target_progress
        return changelist

    def _progress(self, obj):
        if not hasattr(obj, "progress_today"):
            obj.progress_today = progress_list([obj], timezone.localdate())[0][1]
        return obj.progress_today

    @admin.display(description="统计规则", ordering="rule")
    def rule_name(self, obj):
        return rule_label(obj.rule)

    @admin.display(description="起止日期", ordering="start")
    def window(self, obj):
        return f"{obj.start:%Y-%m-%d} 至 {obj.end:%Y-%m-%d}"

    @admin.display(description="实际完成")
    def actual(self, obj):
        found = self._progress(obj)
        return found.actual if found else "—"

    @admin.display(description="应完成")
    def expected(self, obj):
        found = self._progress(obj)
        return found.expected if found else "—"

    @admin.display(description="完成率")
    def ratio(self, obj):
        found = self._progress(obj)
        return percent(found.ratio) if found else "—"

    @admin.display(description="进度状态")
    def status(self, obj):
        found = self._progress(obj)
        if found is None:
            return "规则未注册"
        return render_status(found.status)

    @admin.display(description="预计期末")
    def projected(self, obj):
        found = self._progress(obj)
        return found.projected if found else "—"


@admin.register(ClosedReport)
class ClosedReportAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Closed quarters, read-only: closing and reopening happen on the quarterly report page."""

    list_display = ["organization", "year", "quarter", "closed_by", "closed_at", "state", "open_report"]
    list_filter = [YearFilter, "quarter"]
    list_select_related = ["organization", "closed_by"]
    fields = [
        "organization",
        "year",
        "quarter",
        "closed_by",
        "closed_at",
        "reopened_by",
        "reopened_at",
        "reopen_reason",
    ]
    ordering = ["-year", "-quarter", "organization__path"]

    def get_queryset(self, request):
        # The stored files stay in the database until someone downloads them.
        return super().get_queryset(request).defer("data", "xlsx", "csv_zip")

    @admin.display(description="状态")
    def state(self, obj):
        if obj.reopened_at:
            return f"已重新开放（{timezone.localtime(obj.reopened_at):%Y-%m-%d %H:%M}）"
        return "已关闭"

    @admin.display(description="报表")
    def open_report(self, obj):
        """The live report, which serves this one while it is closed."""
        query = urlencode({"year": obj.year, "quarter": obj.quarter, "organization": obj.organization.code})
        return format_html('<a href="{}?{}">查看</a>', reverse("admin:quarterly_report"), query)

    @admin.display(description="关闭时保存的文件")
    def stored_files(self, obj):
        """The files stored at the closing: kept, and served here, once the quarter is reopened."""
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            ((reverse("admin:closed_report_file", args=[obj.pk, kind]), label) for kind, label in self.FILES),
        )

    FILES = [("xlsx", "XLSX"), ("csv", "CSV 压缩包")]

    def _may_download(self, request):
        return request.user.has_perm("xiangcheng.export_data")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return [*shown, "stored_files"] if self._may_download(request) else shown

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [*fields, "stored_files"] if self._may_download(request) else fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "stored_files"]


class ReadFilter(admin.SimpleListFilter):
    title = "阅读状态"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", "未读"), ("yes", "已读")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.unread()
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, EditConflictAdminMixin, admin.ModelAdmin):
    """Each account's inbox (消息): its own messages only, whoever asks (anyone else's is not
    found); opening one marks it read. The messages are written by `send_reminders`."""

    list_display = ["subject", "day", "state", "emailed"]
    list_filter = [ReadFilter]
    fields = ["subject", "day", "body", "to_dos", "emailed_at"]
    readonly_fields = ["to_dos"]
    ordering = ["-day", "-pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(NOT_FOUND)
        return obj

    def has_module_permission(self, request):
        return request.user.is_active

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (obj is None or obj.recipient_id == request.user.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # Read once it has been shown; a second view leaves the first reading's time.
            Message.objects.filter(pk=object_id, recipient=request.user, read_at__isnull=True).update(
                read_at=timezone.now()
            )
        return response

    @admin.display(description="状态", ordering="read_at")
    def state(self, obj):
        return "已读" if obj.read_at else format_html("<strong>{}</strong>", "未读")

    @admin.display(description="邮件", ordering="emailed_at")
    def emailed(self, obj):
        return f"已发送（{timezone.localtime(obj.emailed_at):%Y-%m-%d %H:%M}）" if obj.emailed_at else "—"

    @admin.display(description="待办事项")
    def to_dos(self, obj):
        if not obj.items:
            return "—"
        return format_html(
            '<ul class="message-items">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}：{}</a>，{}</li>',
                ((item["url"], item["label"], item["count"], item["when"]) for item in obj.items),
            ),
        )


# Devices of the second sign-in step are each user's own (xiangcheng/secondfactor.py); django-otp's
# English device pages are not offered. Staff reset a lost phone with `manage.py reset_second_factor`.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
