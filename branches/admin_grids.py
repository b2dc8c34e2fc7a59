"""The admin of grid governance (branches/models/grids.py): grids with their roles, the grid log
(民情日志), and the general social workers with their assignments.

The coverage filters take a window ("2026-10-01~2026-12-31", the report's period) and judge it on
its reference day (today while it runs, its last day once over), calling the queryset method of
their rule: the same call the report section counts with, so a number opens exactly its rows.
"""

from django.contrib import admin
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.filters import TownFilter
from branches.models import Grid, GridLogEntry, GridRole, SocialWorker, SocialWorkerAssignment
from branches.models.grids import members_who_may_act_in, workers_who_may_act_in
from branches.resources import GridResource, SocialWorkerResource
from xiangcheng.admin import ImportExportAdmin, ScopedAdminMixin, WindowFilter
from xiangcheng.counting import count_subquery
from xiangcheng.periods import reference_day
from xiangcheng.scoping import has_model_permission


class WindowRuleFilter(WindowFilter):
    """Rows meeting a rule on the reference day of a window. `rule` names the queryset method that
    says it."""

    rule = ""

    def filter_window(self, queryset, window):
        return getattr(queryset, self.rule)(reference_day(window, timezone.localdate()))


class GridExistingFilter(WindowRuleFilter):
    title = "期末存续"
    parameter_name = "existing"
    rule = "existing_on"


class WithoutMemberFilter(WindowRuleFilter):
    title = "期末无党员参与"
    parameter_name = "no_member"
    rule = "without_member"


class WithoutSocialWorkerFilter(WindowRuleFilter):
    title = "期末无全科社工"
    parameter_name = "no_social_worker"
    rule = "without_social_worker"


class OverdueGridFilter(WindowRuleFilter):
    title = "期末有超期未解决问题"
    parameter_name = "overdue"
    rule = "with_overdue_problems"


class RoleHeldFilter(WindowRuleFilter):
    title = "期末在任"
    parameter_name = "held"
    rule = "running_on"


class OnDutyFilter(WindowRuleFilter):
    title = "期末在岗"
    parameter_name = "on_duty"
    rule = "running_on"


class AssignmentRunningFilter(WindowRuleFilter):
    title = "期末派驻中"
    parameter_name = "running"
    rule = "running_on"


class OverdueEntryFilter(WindowRuleFilter):
    title = "期末超期未解决"
    parameter_name = "overdue"
    rule = "overdue"


def _names(rows, name):
    """The names `name` of `rows` (referring to the outer row by OuterRef), joined, as a subquery."""
    joined = StringAgg(name, delimiter="、", order_by=name)
    return Subquery(rows.order_by().annotate(group=Value(1)).values("group").annotate(names=joined).values("names"))


PERSON_NAME = Coalesce("member__name", "social_worker__name")


class GridRoleInline(ScopedAdminMixin, admin.TabularInline):
    """The roles on a grid's page, editable there only by whoever may change the grid (a secretary,
    who may only view grids, keeps roles on the roles list)."""

    model = GridRole
    extra = 1
    fields = ["role", "member", "social_worker", "started_on", "ended_on", "note"]
    autocomplete_fields = ["member", "social_worker"]

    def _grid_editable(self, request) -> bool:
        return has_model_permission(request.user, Grid, "change")

    def has_add_permission(self, request, obj):
        return self._grid_editable(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._grid_editable(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._grid_editable(request) and super().has_delete_permission(request, obj)


@admin.register(Grid)
class GridAdmin(ImportExportAdmin):
    """Grids with who holds their roles today and their open problems."""

    resource_classes = [GridResource]
    inlines = [GridRoleInline]
    list_display = [
        "name",
        "code",
        "organization",
        "households",
        "residents",
        "heads",
        "member_count",
        "social_workers",
        "open_count",
        "overdue_count",
    ]
    list_filter = [TownFilter, GridExistingFilter, WithoutMemberFilter, WithoutSocialWorkerFilter, OverdueGridFilter]
    list_select_related = ["organization"]
    search_fields = ["name", "code", "area", "organization__name"]
    autocomplete_fields = ["organization"]

    def get_queryset(self, request):
        # Subqueries per listed grid rather than Count: three relations would multiply each other.
        today = timezone.localdate()
        roles = GridRole.objects.running_on(today).filter(grid=OuterRef("pk")).annotate(person=PERSON_NAME)
        problems = GridLogEntry.objects.filter(grid=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                head_names=_names(roles.filter(role=GridRole.Role.HEAD), "person"),
                member_total=count_subquery(roles.filter(member__isnull=False)),
                social_worker_names=_names(roles.filter(social_worker__isnull=False), "person"),
                open_total=count_subquery(problems.open_on(today)),
                overdue_total=count_subquery(problems.overdue(today)),
            )
        )

    @admin.display(description="网格长")
    def heads(self, obj):
        return obj.head_names or "—"

    @admin.display(description="在任党员", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total

    @admin.display(description="全科社工")
    def social_workers(self, obj):
        return obj.social_worker_names or "—"

    @admin.display(description="未解决问题", ordering="open_total")
    def open_count(self, obj):
        return obj.open_total

    @admin.display(description="超期未解决", ordering="overdue_total")
    def overdue_count(self, obj):
        return obj.overdue_total


@admin.register(GridRole)
class GridRoleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Who held which role in which grid, and when."""

    list_display = ["grid", "community", "role", "person_name", "started_on", "ended_on", "note"]
    list_filter = ["role", RoleHeldFilter, TownFilter]
    list_select_related = ["grid__organization", "member", "social_worker"]
    search_fields = ["grid__name", "grid__code", "member__name", "social_worker__name"]
    person_search_fields = (
        "member__name",
        "social_worker__name",
    )
    autocomplete_fields = ["grid", "member", "social_worker"]
    # Only who may hold a role in the grid chosen (its roles on the grid's page: that grid).
    choices_follow = {"member": ("grid", members_who_may_act_in), "social_worker": ("grid", workers_who_may_act_in)}

    @admin.display(description="所属社区（村）", ordering="grid__organization__path")
    def community(self, obj):
        return obj.grid.organization

    @admin.display(description="人员")
    def person_name(self, obj):
        return obj.person


@admin.register(GridLogEntry)
class GridLogEntryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The grid log (民情日志): problems raised, who took them, and how long they took."""

    list_display = [
        "raised_on",
        "grid",
        "category",
        "summary",
        "raised_by",
        "taken_by",
        "solved_on",
        "days",
    ]
    list_display_links = ["raised_on", "grid"]
    list_filter = ["category", OverdueEntryFilter, "solved_on", TownFilter]
    list_select_related = ["grid", "taken_by_member", "taken_by_worker"]
    search_fields = ["problem", "raised_by", "grid__name", "grid__code"]
    autocomplete_fields = ["grid", "taken_by_member", "taken_by_worker"]
    # Served by the index on (raised_on, id); a long log is not counted whole on each view.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).with_days_taken()

    @admin.display(description="反映问题")
    def summary(self, obj):
        return obj.problem if len(obj.problem) <= 30 else f"{obj.problem[:30]}…"

    @admin.display(description="承办人")
    def taken_by(self, obj):
        return obj.taken_by_member or obj.taken_by_worker or "—"

    @admin.display(description="用时（天）", ordering="days_taken")
    def days(self, obj):
        return "—" if obj.days_taken is None else obj.days_taken


class SocialWorkerAssignmentInline(ScopedAdminMixin, admin.TabularInline):
    model = SocialWorkerAssignment
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(SocialWorker)
class SocialWorkerAdmin(ImportExportAdmin):
    """The general social workers (全科社工): the roster, with the grids each serves today."""

    resource_classes = [SocialWorkerResource]
    inlines = [SocialWorkerAssignmentInline]
    list_display = [
        "name",
        "masked_id_number",
        "masked_mobile",
        "qualification",
        "employer",
        "organization",
        "started_on",
        "ended_on",
        "grids",
    ]
    list_filter = ["qualification", OnDutyFilter, TownFilter]
    list_select_related = ["organization"]
    search_fields = ["name", "=id_number", "employer", "certificate"]
    person_search_fields = ("name",)
    autocomplete_fields = ["organization"]
    fields = [
        "name",
        "sex",
        "id_number",
        "mobile",
        "qualification",
        "certificate",
        "employer",
        "organization",
        "started_on",
        "ended_on",
    ]

    def get_queryset(self, request):
        roles = GridRole.objects.running_on(timezone.localdate()).filter(social_worker=OuterRef("pk"))
        return super().get_queryset(request).annotate(grid_names=_names(roles, "grid__name"))

    @admin.display(description="当前服务网格")
    def grids(self, obj):
        return obj.grid_names or "—"


@admin.register(SocialWorkerAssignment)
class SocialWorkerAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["social_worker", "organization", "started_on", "ended_on", "note"]
    list_filter = [AssignmentRunningFilter, TownFilter]
    list_select_related = ["social_worker", "organization"]
    search_fields = ["social_worker__name", "organization__name"]
    person_search_fields = ("social_worker__name",)
    autocomplete_fields = ["social_worker", "organization"]
