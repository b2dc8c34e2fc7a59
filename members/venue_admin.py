"""The admin of the party-mass service venues (members/venues.py): the venues with their photos and
status, their inspections with a verdict per item, and the rectification list. Imported by
members/admin.py, next to the health checks whose check items the venue standard shares."""

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from branches.admin import PrivateFilesAdminMixin, ProtectedFileWidget
from branches.filters import TownFilter
from members.forms import RectificationForm, VenueInspectionItemFormSet
from members.models import (
    CheckItem,
    Rectification,
    RectificationState,
    Venue,
    VenueInspection,
    VenueInspectionItem,
    VenuePhoto,
    VenueStatus,
)
from members.resources import VenueResource
from members.venues import inspection_failed
from xiangcheng.admin import ImportExportAdmin, JudgedFilter, ScopedAdminMixin
from xiangcheng.scoping import has_model_permission

# The colour of each state (the classes of portal.css the pledge lines and paces use).
STATE_CLASSES = {
    VenueStatus.MET: "line-done",
    VenueStatus.NOT_MET: "line-open",
    VenueStatus.NEVER: "status-behind",
    RectificationState.DONE: "line-done",
    RectificationState.OPEN: "status-behind",
    RectificationState.OVERDUE: "line-open",
}


def _today():
    return timezone.localdate()


def _state(value: str, label: str):
    return format_html('<strong class="{}">{}</strong>', STATE_CLASSES.get(value, ""), label)


class VenueStatusFilter(JudgedFilter):
    title = "阵地状态"
    parameter_name = "status"
    states = VenueStatus.choices

    def judged(self, queryset, state, on):
        return queryset.in_status(state, on)


class InspectionOverdueFilter(JudgedFilter):
    title = "检查逾期"
    parameter_name = "overdue"
    states = [("yes", "超过一年未检查")]

    def judged(self, queryset, state, on):
        return queryset.inspection_overdue(on)


class VenuePhotoWidget(ProtectedFileWidget):
    url_name = "admin:members_venue_photo"


class VenuePhotoInline(ScopedAdminMixin, admin.StackedInline):
    model = VenuePhoto
    fields = ["file", "caption"]
    extra = 1
    formfield_overrides = {models.FileField: {"widget": VenuePhotoWidget}}


class VenueInspectionInline(ScopedAdminMixin, admin.TabularInline):
    """A venue's inspections, latest first, read on its page (each opens on its own page)."""

    model = VenueInspection
    fields = ["inspected_on", "inspector", "result"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).with_result()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="检查结论")
    def result(self, obj):
        return _inspection_result(obj)


def _inspection_result(inspection):
    failed = VenueStatus.NOT_MET if inspection.failed else VenueStatus.MET
    return _state(failed, failed.label)


@admin.register(Venue)
class VenueAdmin(PrivateFilesAdminMixin, ImportExportAdmin):
    """The venues, each with its status today (from its latest inspection) and its photos."""

    resource_classes = [VenueResource]
    list_display = ["name", "organization", "kind", "area", "opening_hours", "status_column", "last_inspected"]
    list_filter = [TownFilter, "kind", VenueStatusFilter, InspectionOverdueFilter]
    list_select_related = ["organization"]
    search_fields = ["name", "address", "organization__name"]
    autocomplete_fields = ["organization"]
    ordering = ["organization__path", "name", "pk"]
    inlines = [VenuePhotoInline, VenueInspectionInline]
    private_files = (VenuePhoto, "venue")
    private_files_path = "photo"

    def get_queryset(self, request):
        return super().get_queryset(request).with_status(_today())

    @admin.display(description="阵地状态", ordering="status")
    def status_column(self, obj):
        return _state(obj.status, VenueStatus(obj.status).label)

    @admin.display(description="最近检查", ordering="last_inspected_on")
    def last_inspected(self, obj):
        return obj.last_inspected_on or "—"


class InspectionResultFilter(admin.SimpleListFilter):
    title = "检查结论"
    parameter_name = "result"

    def lookups(self, request, model_admin):
        return [(VenueStatus.MET, "达标"), (VenueStatus.NOT_MET, "未达标")]

    def queryset(self, request, queryset):
        if self.value() == VenueStatus.MET:
            return queryset.filter(~inspection_failed())
        if self.value() == VenueStatus.NOT_MET:
            return queryset.filter(inspection_failed())
        return queryset


class VenueInspectionItemInline(ScopedAdminMixin, admin.TabularInline):
    """An inspection's verdicts: a new inspection offers a row for every item of the venue
    standard in use; a failed item needs its due date (it is then a rectification)."""

    model = VenueInspectionItem
    formset = VenueInspectionItemFormSet
    fields = ["item", "verdict", "finding", "rectify_by", "rectified_on"]
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return len(_items_in_use()) if obj is None else 0

    def get_formset(self, request, obj=None, **kwargs):
        # The item choices below: the items in use, and those this inspection already judged.
        request._venue_inspection = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "item":
            inspection = getattr(request, "_venue_inspection", None)
            judged = Q(venue_verdicts__inspection=inspection) if inspection is not None else Q(pk__in=[])
            kwargs["queryset"] = (
                CheckItem.objects.filter(Q(is_active=True) | judged, standard=CheckItem.Standard.VENUE)
                .distinct()
                .order_by("sort_order", "name")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _items_in_use() -> list[CheckItem]:
    return list(CheckItem.objects.filter(standard=CheckItem.Standard.VENUE, is_active=True))


@admin.register(VenueInspection)
class VenueInspectionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["venue", "organization", "inspected_on", "inspector", "result"]
    list_filter = [TownFilter, InspectionResultFilter, "inspected_on"]
    list_select_related = ["venue__organization"]
    search_fields = ["venue__name", "inspector"]
    autocomplete_fields = ["venue"]
    ordering = ["-inspected_on", "-pk"]
    inlines = [VenueInspectionItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_result()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, VenueInspectionItemInline) and obj.pk is None and request.method != "POST":
            kwargs["initial"] = [{"item": item.pk} for item in _items_in_use()]
        return kwargs

    @admin.display(description="所属党组织", ordering="venue__organization__path")
    def organization(self, obj):
        return obj.venue.organization

    @admin.display(description="检查结论", ordering="failed")
    def result(self, obj):
        return _inspection_result(obj)


class RectificationStateFilter(JudgedFilter):
    title = "整改状态"
    parameter_name = "state"
    states = RectificationState.choices

    def judged(self, queryset, state, on):
        return queryset.in_state(state, on)


@admin.register(Rectification)
class RectificationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The rectification list: every item that failed an inspection, earliest due first, with its
    state today. The secretary records when and how it was put right; the due date is the
    inspectors' (those who may change inspections)."""

    form = RectificationForm
    list_display = ["venue", "organization", "item", "inspected_on", "rectify_by", "rectified_on", "state_column"]
    list_filter = [RectificationStateFilter, TownFilter]
    list_select_related = ["inspection__venue__organization", "item"]
    search_fields = ["inspection__venue__name", "item__name", "finding"]
    ordering = ["rectify_by", "pk"]
    fields = ["venue", "inspected_on", "item", "finding", "rectify_by", "rectified_on", "rectification"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_state(_today())

    def get_readonly_fields(self, request, obj=None):
        readonly = ["venue", "inspected_on", "item", "finding"]
        if not has_model_permission(request.user, VenueInspection, "change"):
            readonly.append("rectify_by")
        return readonly

    def has_add_permission(self, request):
        # A rectification is an item that failed an inspection: it is made there.
        return False

    @admin.display(description="阵地", ordering="inspection__venue__name")
    def venue(self, obj):
        return obj.inspection.venue

    @admin.display(description="所属党组织", ordering="inspection__venue__organization__path")
    def organization(self, obj):
        return obj.inspection.venue.organization

    @admin.display(description="检查日期", ordering="inspection__inspected_on")
    def inspected_on(self, obj):
        return obj.inspection.inspected_on

    @admin.display(description="整改状态", ordering="state")
    def state_column(self, obj):
        return _state(obj.state, RectificationState(obj.state).label)
