from datetime import date, timedelta
from functools import reduce
from operator import or_

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from treebeard.ltree.fields import NLevel, Subpath

from branches import admin_grids  # noqa: F401 (registers the grid admins)
from branches.filters import TownFilter
from branches.forms import (
    ActionBranchForm,
    MemberByIdNumberField,
    OrganizationForm,
    SecretaryProjectForm,
    ServiceActionForm,
    members_of_action_branch,
)
from branches.models import (
    MAX_BRANCH_MEMBERS,
    MIN_FULL_MEMBERS,
    TERM_ENDING_DAYS,
    AccountScope,
    ActionBranch,
    Brand,
    CommitteeTerm,
    Instructor,
    InstructorAssignment,
    Organization,
    ProjectMilestone,
    ProjectProgress,
    SecretaryProject,
    ServiceAction,
    ServiceAttachment,
)
from branches.orgchart import organization_chart
from branches.resources import (
    ActionBranchResource,
    CommitteeTermResource,
    OrganizationResource,
    ServiceActionResource,
)
from branches.services import (
    TOTALS_BY,
    TOTALS_LABELS,
    attachment_files_discard,
    default_action_branch,
    organization_save,
    service_totals,
)
from xiangcheng.admin import (
    NOT_FOUND,
    ORGANIZATION_CODE,
    ImportExportAdmin,
    MaskedNumbersAdminMixin,
    ScopedAdminMixin,
    WindowFilter,
    YearFilter,
    render_status,
)
from xiangcheng.counting import count_subquery
from xiangcheng.people import account_name
from xiangcheng.periods import FIRST_YEAR, quarter_of, quarter_period, reference_day
from xiangcheng.reports import changelist_url
from xiangcheng.scoping import can_see_full_numbers, has_model_permission
from xiangcheng.views import requires_scope


class InstructorCoverageFilter(admin.SimpleListFilter):
    """Organizations with or without an instructor assigned to them today."""

    title = "指导员"
    parameter_name = "instructor"

    def lookups(self, request, model_admin):
        return [("none", "当前无指导员"), ("some", "当前有指导员")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.without_instructor(timezone.localdate())
        if self.value() == "some":
            return queryset.with_instructor(timezone.localdate())
        return queryset


class BranchSizeFilter(admin.SimpleListFilter):
    """Branches outside the usual size today: more than MAX_BRANCH_MEMBERS members on the roll, or
    fewer than MIN_FULL_MEMBERS full members (`OrganizationQuerySet`)."""

    title = "支部规模"
    parameter_name = "size"

    def lookups(self, request, model_admin):
        return [
            ("above", f"党员超过{MAX_BRANCH_MEMBERS}名的支部"),
            ("few_full", f"正式党员不足{MIN_FULL_MEMBERS}名的支部"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "above":
            return queryset.above_member_limit(timezone.localdate())
        if self.value() == "few_full":
            return queryset.below_full_members(timezone.localdate())
        return queryset


class TermFilter(admin.SimpleListFilter):
    """Organizations whose committee is due for re-election today (`OrganizationQuerySet.term_ending`)."""

    title = "换届"
    parameter_name = "term"

    def lookups(self, request, model_admin):
        return [("ending", f"{TERM_ENDING_DAYS}天内届满或已届满")]

    def queryset(self, request, queryset):
        if self.value() == "ending":
            return queryset.term_ending(timezone.localdate())
        return queryset


class CommitteeTermInline(ScopedAdminMixin, admin.TabularInline):
    """The organization's committee terms, each with the day it ends."""

    model = CommitteeTerm
    extra = 0
    fields = ["elected_on", "term_years", "ends_on", "note"]
    readonly_fields = ["ends_on"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_end()

    @admin.display(description="届满日期")
    def ends_on(self, obj):
        return date_format(obj.ends_on) if getattr(obj, "ends_on", None) else "—"


# The organizations list opens as a tree unless a list is asked for: ?view=list, or a search, a
# filter, a sort or a page. ?expand=<code> opens the tree down to that organization, so its
# toggles work as plain links; ?parent=<code> answers that organization's children alone, the
# HTML fragment the tree's script fetches.
TREE_VIEW_VAR, LIST_VIEW = "view", "list"
TREE_EXPAND_VAR, TREE_PARENT_VAR = "expand", "parent"


@admin.register(Organization)
class OrganizationAdmin(ImportExportAdmin):
    """The organizations: a tree to browse (the top of the user's scope, any organization's
    children on demand), or Django's list to search, filter and sort."""

    form = OrganizationForm
    resource_classes = [OrganizationResource]
    change_list_template = "admin/branches/organization/change_list.html"
    list_display = ["tree_name", "type", "code", "ancestry", "founded_on", "is_active"]
    list_filter = ["type", TownFilter, "is_active", InstructorCoverageFilter, BranchSizeFilter, TermFilter]
    inlines = [CommitteeTermInline]
    search_fields = ["name", "code"]
    ordering = ["path"]
    list_per_page = 100

    def get_queryset(self, request):
        # One correlated subquery per row (served by the GiST index) names the ancestors.
        ancestors = (
            Organization.objects.filter(path__ancestors=OuterRef("path"))
            .exclude(path=OuterRef("path"))
            .order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(names=StringAgg("name", delimiter=" › ", order_by="path"))
            .values("names")
        )
        return super().get_queryset(request).annotate(ancestor_names=Subquery(ancestors))

    @admin.display(description="名称", ordering="path")
    def tree_name(self, obj):
        return format_html('<span class="tree-depth-{}">{}</span>', min(len(obj.path) - 1, 12), obj.name)

    @admin.display(description="上级路径")
    def ancestry(self, obj):
        return obj.ancestor_names or "—"

    @admin.display(description="上级党组织")
    def parent(self, obj):
        """The parent as a read-only page shows it (the form's own field is not a model field)."""
        parent = Organization.objects.get_parent(obj) if obj.pk else None
        return parent.name if parent else "—（区委，树的顶端）"

    def save_model(self, request, obj, form, change):
        organization_save(organization=obj, parent=form.cleaned_data.get("parent"))

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)

        class OrganizationChangeList(base):
            def get_filters_params(self, params=None):
                # The tree's parameters filter nothing; the list's own links keep them (?view=list).
                params = super().get_filters_params(params)
                for name in (TREE_VIEW_VAR, TREE_EXPAND_VAR, TREE_PARENT_VAR):
                    params.pop(name, None)
                return params

        return OrganizationChangeList

    def get_urls(self):
        chart = self.admin_site.admin_view(self.chart_view)
        return [path("chart/", chart, name="branches_organization_chart"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and TREE_PARENT_VAR in request.GET:
            return self.tree_children_view(request)
        tree_only = set(request.GET) <= {TREE_VIEW_VAR, TREE_EXPAND_VAR}
        if request.method == "GET" and tree_only and request.GET.get(TREE_VIEW_VAR) != LIST_VIEW:
            return self.tree_view(request, extra_context)
        return super().changelist_view(request, {**self._view_switch(), **(extra_context or {})})

    def tree_view(self, request, extra_context=None):
        """The top of the user's scope: their topmost organizations, the children of the only one
        when there is one, and the children of each organization down to ?expand=<code>. Three
        queries of organizations, whatever the size of the tree."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        visible = Organization.objects.visible_to(request.user)
        # Topmost: the parent is not among the organizations the user sees (the district for
        # staff, a secretary's own organizations).
        parent = visible.filter(path=Subpath(OuterRef("path"), 0, NLevel(OuterRef("path")) - 1))
        roots = self._tree_nodes(request, visible.filter(~Exists(parent)))
        opened = {str(roots[0].path)} if len(roots) == 1 else set()
        expanded = self._tree_organization(request, TREE_EXPAND_VAR)
        if expanded is not None:
            opened |= {".".join(expanded.path[:depth]) for depth in range(1, len(expanded.path) + 1)}
        children = []
        if opened:
            below = reduce(or_, (Q(path__descendants=above, path__depth=above.count(".") + 2) for above in opened))
            children = self._tree_nodes(request, visible.filter(below))
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": opts.verbose_name_plural,
            "subtitle": None,
            "opts": opts,
            "nodes": self._tree_nest([*roots, *children], opened),
            "has_add_permission": self.has_add_permission(request),
            "has_import_permission": self.has_import_permission(request),
            "has_export_permission": self.has_export_permission(request),
            **self._view_switch(),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/branches/organization/tree.html", context)

    @requires_scope
    def chart_view(self, request):
        """The organization chart (组织图): the tree of the organizations the user sees, drawn by
        the vendored ECharts, each node with its subtree's members, action branches and open
        to-dos, each number linking to its list (branches/orgchart.py). Query parameters are
        ignored: the chart has none."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": "组织图",
            "subtitle": None,
            "opts": opts,
            "chart": organization_chart(request.user, timezone.localdate()),
            **self._view_switch(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/branches/organization/chart.html", context)

    def tree_children_view(self, request):
        """?parent=<code>: that organization's children as the tree shows them, an HTML fragment
        for the tree's script; 404 for an organization the user does not see."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        parent = self._tree_organization(request, TREE_PARENT_VAR)
        if parent is None:
            raise Http404(NOT_FOUND)
        children = Organization.objects.visible_to(request.user).filter(
            path__descendants=parent.path, path__depth=len(parent.path) + 1
        )
        context = {"nodes": self._tree_nest(self._tree_nodes(request, children), set()), "opts": self.model._meta}
        return TemplateResponse(request, "admin/branches/organization/tree_children.html", context)

    def _tree_organization(self, request, parameter: str):
        """The organization, among those the user sees, whose code is ?<parameter>=; None for any
        other text (a NUL byte or a long string is not even looked up)."""
        code = request.GET.get(parameter, "")
        if not ORGANIZATION_CODE.fullmatch(code):
            return None
        return Organization.objects.visible_to(request.user).filter(code=code).only("path", "code").first()

    def _tree_nodes(self, request, organizations) -> list:
        """`organizations` (of those the user sees) as nodes of the tree, in one query: each with
        its number of direct children, its subtree's members for a user who may see members, and
        its links."""
        user = request.user
        # Subqueries rather than Count: no relation joins an organization to its children or to
        # its subtree's members. Each is a probe of the GiST path index per node shown.
        children = Organization.objects.visible_to(user).filter(
            path__descendants=OuterRef("path"), path__depth=NLevel(OuterRef("path")) + 1
        )
        nodes = organizations.only("path", "code", "name", "type", "is_active").annotate(
            child_count=count_subquery(children)
        )
        member_model = apps.get_model("members", "Member")
        sees_members = has_model_permission(user, member_model)
        if sees_members:
            # Members on the roll, as the organization chart counts them, and the link lists them.
            on_roll = member_model.Status.ON_ROLL
            members = member_model.objects.visible_to(user).filter(
                organization__path__descendants=OuterRef("path"), status=on_roll
            )
            nodes = nodes.annotate(member_count=count_subquery(members))
        here = self._view_switch()["tree_url"]
        nodes = list(nodes)
        for node in nodes:
            node.expand_url = f"{here}?{urlencode({TREE_EXPAND_VAR: node.code})}"
            node.children_url = f"{here}?{urlencode({TREE_PARENT_VAR: node.code})}"
            node.members_url = changelist_url(member_model, node, status__exact=on_roll.value) if sees_members else None
        return nodes

    def _tree_nest(self, nodes: list, opened: set) -> list:
        """`nodes` nested: each under its parent when that is among them (`tree_children`), the
        others on top; an organization in `opened` shows its children, and its toggle closes them
        (a link to its parent's place in the tree)."""
        shown = {}
        for node in sorted(nodes, key=lambda node: list(node.path)):
            shown.setdefault(str(node.path), node)
        top = []
        for node_path, node in shown.items():
            parent = shown.get(node_path.rpartition(".")[0])
            node.tree_children = []
            node.expanded = node_path in opened and node.child_count > 0
            node.toggle_url = node.expand_url
            if node.expanded:
                node.toggle_url = parent.expand_url if parent else self._view_switch()["tree_url"]
            (parent.tree_children if parent else top).append(node)
        return top

    def _view_switch(self) -> dict:
        """The links between the tree, the list and the chart (树形, 列表, 组织图)."""
        here = reverse("admin:branches_organization_changelist", current_app=self.admin_site.name)
        return {
            "tree_url": here,
            "list_url": f"{here}?{urlencode({TREE_VIEW_VAR: LIST_VIEW})}",
            "chart_url": reverse("admin:branches_organization_chart", current_app=self.admin_site.name),
        }


@admin.register(CommitteeTerm)
class CommitteeTermAdmin(ImportExportAdmin):
    """Committee terms (届次) of the organizations, each with the day it ends; also kept inline on
    the organization's page, and imported as towns send them."""

    resource_classes = [CommitteeTermResource]
    list_display = ["organization", "elected_on", "term_years", "ends_on", "note"]
    list_filter = ["term_years", TownFilter]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "organization__code"]
    autocomplete_fields = ["organization"]
    ordering = ["organization__path", "-elected_on"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_end()

    @admin.display(description="届满日期", ordering="ends_on")
    def ends_on(self, obj):
        return date_format(obj.ends_on) if getattr(obj, "ends_on", None) else "—"


class AccountScopeInline(ScopedAdminMixin, admin.TabularInline):
    model = AccountScope
    extra = 1
    autocomplete_fields = ["organization"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Portal accounts, with the organizations each one answers for."""

    inlines = [AccountScopeInline]


def _start_of_year(day: date) -> date:
    return date(day.year, 1, 1)


@admin.register(Brand)
class BrandAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "organization", "action_branch_count"]
    list_filter = ["kind"]
    list_select_related = ["parent", "organization"]
    search_fields = ["name"]
    autocomplete_fields = ["organization"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_branch_total=Count("action_branches"))

    @admin.display(description="行动支部数", ordering="action_branch_total")
    def action_branch_count(self, obj):
        return obj.action_branch_total


@admin.register(ActionBranch)
class ActionBranchAdmin(ImportExportAdmin):
    form = ActionBranchForm
    resource_classes = [ActionBranchResource]
    list_display = [
        "name",
        "category",
        "organization",
        "secretary",
        "founded_on",
        "status",
        "brand",
        "member_count",
        "actions_this_year",
        "people_this_year",
    ]
    list_filter = ["category", "status", TownFilter, "brand"]
    list_select_related = ["organization", "secretary", "brand"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        today = timezone.localdate()
        # Members counted in a subquery: a second join would multiply the service sums.
        members = (
            ActionBranch.members.through.objects.filter(actionbranch=OuterRef("pk"))
            .order_by()
            .values("actionbranch")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .with_service_totals(_start_of_year(today), today)
            .annotate(member_total=Coalesce(Subquery(members), 0))
        )

    def get_fields(self, request, obj=None):
        # Secretary and members are chosen once the host organization is saved, among its members.
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [name for name in fields if name not in ("secretary", "members")]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "organization" in form.base_fields:
            form.base_fields["organization"].help_text += "保存后即可在修改页选择书记和成员。"
        return form

    @admin.display(description="成员数", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total

    @admin.display(description="本年服务次数", ordering="actions_total")
    def actions_this_year(self, obj):
        return obj.actions_total

    @admin.display(description="本年服务人次", ordering="people_total")
    def people_this_year(self, obj):
        return obj.people_total


class StoredFile:
    """What the file widget links to: the checked download view, never MEDIA_URL."""

    def __init__(self, url: str, name: str):
        self.url, self.name = url, name

    def __str__(self):
        return self.name


class ProtectedFileWidget(AdminFileWidget):
    """The file input of a `PrivateFile` model: the stored file links to the admin view named
    `url_name` (given the row's id), which checks who may open it."""

    url_name = "admin:branches_serviceaction_attachment"

    def __init__(self, attrs=None):
        accept = ".jpg,.jpeg,.png,.pdf,.docx,.xlsx,image/jpeg,image/png"
        super().__init__({"accept": accept, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        attachment = getattr(value, "instance", None)
        if context["widget"]["is_initial"] and getattr(attachment, "pk", None):
            url = reverse(self.url_name, args=[attachment.pk])
            context["widget"]["value"] = StoredFile(url, str(attachment))
        return context


def attachment_response(attachment) -> FileResponse:
    """The stored file of a `PrivateFile` row, for a user the caller has checked may see it:
    photos and PDFs open in the browser, other files download; never kept in a cache."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("附件文件已不存在。") from None
    response = FileResponse(
        handle,
        as_attachment=not attachment.is_inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class PrivateFilesAdminMixin:
    """An admin whose rows own `PrivateFile` rows (`private_files`: the file model and the name of
    its foreign key to this admin's model): a view serving one file to a user who may see its row
    (at `<private_files_path>/<id>/`, named `<app>_<model>_<private_files_path>`), and the stored
    files discarded when their rows are deleted, by an inline or with the row they belong to."""

    private_files: tuple[type, str]
    private_files_path = "attachment"

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(self.private_file_view)
        return [
            path(
                f"{self.private_files_path}/<int:file_id>/",
                view,
                name=f"{opts.app_label}_{opts.model_name}_{self.private_files_path}",
            ),
            *super().get_urls(),
        ]

    def private_file_view(self, request, file_id):
        """A stored file, to a user who may see its row; 404 to anyone else."""
        model, _ = self.private_files
        stored = model.objects.visible_to(request.user).filter(pk=file_id).first()
        if stored is None or not self.has_view_permission(request):
            raise Http404(NOT_FOUND)
        return attachment_response(stored)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is self.private_files[0]:
            attachment_files_discard([obj.file.name for obj in formset.deleted_objects])

    def _stored_names(self, rows) -> list[str]:
        model, parent = self.private_files
        return list(model.objects.filter(**{f"{parent}__in": rows}).values_list("file", flat=True))

    def delete_model(self, request, obj):
        names = self._stored_names([obj.pk])
        super().delete_model(request, obj)
        attachment_files_discard(names)

    def delete_queryset(self, request, queryset):
        names = self._stored_names(queryset.values("pk"))
        super().delete_queryset(request, queryset)
        attachment_files_discard(names)


class ServiceAttachmentInline(ScopedAdminMixin, admin.StackedInline):
    model = ServiceAttachment
    fields = ["file"]
    extra = 1
    formfield_overrides = {models.FileField: {"widget": ProtectedFileWidget}}


# The service totals' cross table: categories down, quarters across, as the quarterly report counts.
CROSS = "category_quarter"


def actions_url(start, end, category=None) -> str:
    """The service log's list of the actions of [start, end] (both days included), of one
    category if given: where each number of the totals page leads (the list shows their sum)."""
    query = {"served_on__gte": start.isoformat(), "served_on__lte": end.isoformat()}
    if category:
        query["action_branch__category__exact"] = category
    return f"{reverse('admin:branches_serviceaction_changelist')}?{urlencode(query)}"


def _cross_table(rows, start, end) -> dict:
    """Categories × quarters of [start, end]: each cell its actions, person-times and list link."""
    quarters = []
    day = date(start.year, 3 * quarter_of(start) - 2, 1)
    while day <= end:
        period = quarter_period(day.year, quarter_of(day))
        quarters.append((day, period.label, max(period.start, start), min(period.end, end)))
        day = period.end + timedelta(days=1)
    cells = {(row["category"], row["quarter"]): row for row in rows}
    table = []
    for category in ActionBranch.Category:
        line = []
        for first, _, q_start, q_end in quarters:
            row = cells.get((category.value, first), {"actions": 0, "people_served": 0})
            line.append({**row, "url": actions_url(q_start, q_end, category.value)})
        if any(cell["actions"] for cell in line):
            table.append(
                {
                    "label": category.label,
                    "cells": line,
                    "actions": sum(cell["actions"] for cell in line),
                    "people_served": sum(cell["people_served"] for cell in line),
                    "url": actions_url(start, end, category.value),
                }
            )
    totals = [
        {
            "actions": sum(line["cells"][index]["actions"] for line in table),
            "people_served": sum(line["cells"][index]["people_served"] for line in table),
            "url": actions_url(q_start, q_end),
        }
        for index, (_, _, q_start, q_end) in enumerate(quarters)
    ]
    return {"quarters": [label for _, label, _, _ in quarters], "lines": table, "totals": totals}


class ServiceTotalsForm(forms.Form):
    # A date input shows only an ISO value (the locale's format left the range blank).
    start = forms.DateField(label="开始日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    by = forms.ChoiceField(label="统计口径", choices=[(CROSS, "类别 × 季度"), *TOTALS_LABELS.items()])

    def clean(self):
        cleaned = super().clean()
        # Services are logged from FIRST_YEAR on and never after today: a range past either holds
        # nothing more, and 0001 to 9999 made a table of 32,000 quarters (and 9999-12-31 a 500).
        first, last = date(FIRST_YEAR, 1, 1), date(timezone.localdate().year, 12, 31)
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day and not first <= day <= last:
                self.add_error(name, f"日期须在 {first:%Y-%m-%d} 至 {last:%Y-%m-%d} 之间。")
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", "结束日期不能早于开始日期。")
        return cleaned


@admin.register(ServiceAction)
class ServiceActionAdmin(PrivateFilesAdminMixin, ImportExportAdmin):
    """The service log. A secretary logs an action in a few taps from a phone: their action branch
    and today's date are filled in, participants are typed in by name, a photo is taken with the
    phone's camera in the attachment field."""

    form = ServiceActionForm
    resource_classes = [ServiceActionResource]
    inlines = [ServiceAttachmentInline]
    private_files = (ServiceAttachment, "action")
    change_list_template = "admin/branches/serviceaction/change_list.html"
    list_display = [
        "served_on",
        "title",
        "action_branch",
        "category",
        "kind",
        "people_served",
        "attachment_count",
        "recorder",
    ]
    list_display_links = ["served_on", "title"]
    list_filter = ["served_on", "action_branch__category", "kind", TownFilter]
    list_select_related = ["action_branch", "recorded_by"]
    search_fields = ["title", "place", "action_branch__name"]
    # No date_hierarchy: its year and month links scan years of actions on each view.
    show_full_result_count = False
    autocomplete_fields = ["participants"]
    # The others would only be refused on saving.
    choices_follow = {"participants": ("action_branch", members_of_action_branch)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attachment_total=Count("attachments"))

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "recorder", "recorded_at"] if obj is not None else readonly

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("served_on", timezone.localdate())
        if "action_branch" not in initial:
            branch = default_action_branch(request.user)
            if branch is not None:
                initial["action_branch"] = branch
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="登记人", ordering="recorded_by")
    def recorder(self, obj):
        return account_name(obj.recorded_by) or "—"

    @admin.display(description="类别", ordering="action_branch__category")
    def category(self, obj):
        return obj.action_branch.get_category_display()

    @admin.display(description="附件", ordering="attachment_total")
    def attachment_count(self, obj):
        return obj.attachment_total

    def get_urls(self):
        return [
            path("totals/", self.admin_site.admin_view(self.totals_view), name="branches_serviceaction_totals"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        """A filtered or searched list with its rows and their person-times (合计 N 次服务，N 人次):
        where a totals number leads. Both counted in one statement, all of them (a search's page
        count stops at SEARCH_COUNT_UP_TO). The whole log is not summed on every view of its
        first page."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and (changelist.filter_params or changelist.query):
            totals = changelist.queryset.aggregate(actions=Count("pk"), people=Coalesce(Sum("people_served"), 0))
            response.context_data["service_totals"] = totals
        return response

    @requires_scope
    def totals_view(self, request):
        """Actions and person-times by category, town, organization, month or quarter, in the
        user's scope: one query (branches/services.py service_totals)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = ServiceTotalsForm(
            request.GET or None, initial={"start": _start_of_year(today), "end": today, "by": CROSS}
        )
        rows, columns, cross = [], [], None
        if form.is_bound and form.is_valid():
            start, end, by = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["by"]
        elif not form.is_bound:
            start, end, by = form.initial["start"], form.initial["end"], form.initial["by"]
        else:
            start = end = by = None
        visible_actions = ServiceAction.objects.visible_to(request.user)
        if by == CROSS:
            rows = service_totals(visible_actions, start, end, by=("category", "quarter"))
            cross = _cross_table(rows, start, end)
        elif by is not None:
            rows = service_totals(visible_actions, start, end, by=by)
            columns = [TOTALS_LABELS[by]]
            label = _totals_label(by)
            rows = [{"label": row[label], **row, "url": _row_url(by, row, start, end)} for row in rows]
        context = {
            **self.admin_site.each_context(request),
            "title": "服务统计",
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "columns": columns,
            "rows": rows,
            "cross": cross,
            "total_actions": sum(row["actions"] for row in rows),
            "total_people": sum(row["people_served"] for row in rows),
            "total_url": actions_url(start, end) if start else None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/branches/serviceaction/totals.html", context)


def _row_url(by: str, row: dict, start, end) -> str | None:
    """The list of one row's actions, where the list's filters can say it (category, month, quarter)."""
    if by == "category":
        return actions_url(start, end, row["category"])
    if by in {"month", "quarter"}:
        first = row[by]
        last = quarter_period(first.year, quarter_of(first)).end if by == "quarter" else _month_end(first)
        return actions_url(max(first, start), min(last, end))
    return None


def _month_end(first):
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _totals_label(dimension: str) -> str:
    """The row key that names a group of `dimension` for a reader."""
    return {"town": "town_name", "organization": "organization_name", "action_branch": "action_branch_name"}.get(
        dimension, f"{next(iter(TOTALS_BY[dimension]))}_label"
    )


class ProjectMilestoneInline(ScopedAdminMixin, admin.TabularInline):
    model = ProjectMilestone
    extra = 0


class ProjectProgressInline(ScopedAdminMixin, admin.TabularInline):
    model = ProjectProgress
    extra = 1


class MilestoneFilter(admin.SimpleListFilter):
    """Ongoing projects with a milestone overdue today (`SecretaryProjectQuerySet.with_overdue_milestones`)."""

    title = "项目节点"
    parameter_name = "milestones"

    def lookups(self, request, model_admin):
        return [("overdue", "有逾期未完成的节点")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.with_overdue_milestones(timezone.localdate())
        return queryset


class BehindFilter(WindowFilter):
    """Projects behind their pace in a period, judged as the report judges them
    (`SecretaryProjectQuerySet.behind`)."""

    title = "进度滞后（期间）"
    parameter_name = "behind"

    def filter_window(self, queryset, window):
        return queryset.behind(window.start, window.end, reference_day(window, timezone.localdate()))


@admin.register(SecretaryProject)
class SecretaryProjectAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Secretary projects with their pace against the planned end date, on the plan-target scale."""

    form = SecretaryProjectForm
    inlines = [ProjectMilestoneInline, ProjectProgressInline]
    list_display = [
        "name",
        "year",
        "organization",
        "secretary",
        "planned_end",
        "milestones_done",
        "percent",
        "expected",
        "pace",
        "status",
    ]
    list_filter = [YearFilter, "status", BehindFilter, MilestoneFilter, TownFilter]
    list_select_related = ["organization", "secretary"]
    search_fields = ["name", "goal"]
    autocomplete_fields = ["organization"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_latest_percent()
            .annotate(
                milestone_total=Count("milestones"),
                milestone_done=Count("milestones", filter=Q(milestones__done=True)),
            )
        )

    def get_fields(self, request, obj=None):
        # The secretary is chosen once the organization is saved, among its members.
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [name for name in fields if name != "secretary"]

    @admin.display(description="节点完成")
    def milestones_done(self, obj):
        return f"{obj.milestone_done}/{obj.milestone_total}"

    @admin.display(description="完成百分比", ordering="latest_percent")
    def percent(self, obj):
        return f"{obj.percent_complete}%"

    @admin.display(description="应完成")
    def expected(self, obj):
        return f"{obj.expected_percent(timezone.localdate())}%"

    @admin.display(description="进度状态")
    def pace(self, obj):
        return render_status(obj.pace(timezone.localdate()).value)


class InstructorAssignmentInline(ScopedAdminMixin, admin.TabularInline):
    model = InstructorAssignment
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(Instructor)
class InstructorAdmin(MaskedNumbersAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """The instructor pool. A district list (every secretary may consult it); the assignments shown
    are those within the user's scope."""

    inlines = [InstructorAssignmentInline]
    list_display = ["name", "role", "masked_mobile", "employer", "current_organizations", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["name", "employer", "qualifications"]
    person_search_fields = ("name",)
    fields = ["name", "role", "member", "mobile", "employer", "qualifications", "is_active"]

    def get_queryset(self, request):
        current = (
            InstructorAssignment.objects.visible_to(request.user)
            .current(timezone.localdate())
            .filter(instructor=OuterRef("pk"))
            .order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(names=StringAgg("organization__name", delimiter="、", order_by="organization__path"))
            .values("names")
        )
        return super().get_queryset(request).annotate(current_names=Subquery(current))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "member":
            return MemberByIdNumberField(
                db_field.related_model._default_manager.all(),
                label="对应党员（身份证号）",
                required=False,
                help_text="是本区在册党员的，填写其身份证号；不是的留空。",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # The member is typed in by ID number, which only users who may see full numbers see.
        readonly = super().get_readonly_fields(request, obj)
        return readonly if can_see_full_numbers(request.user) else [*readonly, "member"]

    @admin.display(description="当前指导组织")
    def current_organizations(self, obj):
        return obj.current_names or "—"


@admin.register(InstructorAssignment)
class InstructorAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["instructor", "role", "organization", "start", "end", "note"]
    list_filter = ["instructor__role", TownFilter]
    list_select_related = ["instructor", "organization"]
    search_fields = ["instructor__name", "organization__name"]
    person_search_fields = ("instructor__name",)
    autocomplete_fields = ["instructor", "organization"]

    @admin.display(description="类别", ordering="instructor__role")
    def role(self, obj):
        return obj.instructor.get_role_display()
