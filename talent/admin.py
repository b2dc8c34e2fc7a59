from django.contrib import admin
from django.db.models import Count

from branches.admin import TownFilter
from talent.models import (
    FundingProgramme,
    Honour,
    Industry,
    OverseasPlacement,
    ProjectStageChange,
    RecruitmentBrand,
    RecruitmentEvent,
    SupportRequest,
    Talent,
    TalentHonour,
    TalentProject,
    Zone,
)
from talent.reports import TALENT_CHECKS
from talent.resources import RecruitmentEventResource, TalentProjectResource, TalentResource
from xiangcheng.admin import EditConflictAdminMixin, ImportExportAdmin, NamedListAdmin, QualityFilter, ScopedAdminMixin

admin.site.register([Industry, Zone, Honour], NamedListAdmin)


class YieldColumns:
    """The talents and projects that events brought in, annotated as talent_total and project_total."""

    @admin.display(description="引进人才", ordering="talent_total")
    def talent_count(self, obj):
        return obj.talent_total

    @admin.display(description="引进项目", ordering="project_total")
    def project_count(self, obj):
        return obj.project_total


@admin.register(RecruitmentBrand)
class RecruitmentBrandAdmin(YieldColumns, NamedListAdmin):
    """Brands with their yield: events held, talents and projects those events brought in."""

    list_display = ["name", "sort_order", "event_count", "talent_count", "project_count"]

    def get_queryset(self, request):
        # Distinct counts: one join fans out over events, talents and projects at once.
        return (
            super()
            .get_queryset(request)
            .annotate(
                event_total=Count("recruitment_events", distinct=True),
                talent_total=Count("recruitment_events__talents", distinct=True),
                project_total=Count("recruitment_events__projects", distinct=True),
            )
        )

    @admin.display(description="活动场次", ordering="event_total")
    def event_count(self, obj):
        return obj.event_total


@admin.register(FundingProgramme)
class FundingProgrammeAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    list_display = ["name", "cap"]
    search_fields = ["name"]


@admin.register(RecruitmentEvent)
class RecruitmentEventAdmin(YieldColumns, ImportExportAdmin):
    resource_classes = [RecruitmentEventResource]
    list_display = ["name", "brand", "held_on", "place", "participants", "talent_count", "project_count"]
    list_filter = ["brand"]
    list_select_related = ["brand"]
    search_fields = ["name", "place"]
    date_hierarchy = "held_on"

    def get_queryset(self, request):
        # Two independent counts: distinct keeps the join of talents and projects from multiplying.
        return (
            super()
            .get_queryset(request)
            .annotate(
                talent_total=Count("talents", distinct=True),
                project_total=Count("projects", distinct=True),
            )
        )


class IntroducedYearFilter(admin.SimpleListFilter):
    title = "引进年份"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Talent.objects.visible_to(request.user).dates("introduced_on", "year", order="DESC")
        return [(str(day.year), f"{day.year}年") for day in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isascii() and self.value().isdigit() and len(self.value()) == 4:
            return queryset.filter(introduced_on__year=int(self.value()))
        return queryset


class DuplicateIdFilter(admin.SimpleListFilter):
    """Talents whose document number another talent shares once case and spaces are ignored
    (the data-quality page links here)."""

    title = "证件号码重复"
    parameter_name = "duplicate_id"

    def lookups(self, request, model_admin):
        return [("1", "疑似同一人重复登记")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.duplicated_id_numbers()
        return queryset


class TalentQualityFilter(QualityFilter):
    checks = TALENT_CHECKS


class TalentHonourInline(ScopedAdminMixin, admin.TabularInline):
    model = TalentHonour
    extra = 0


class SupportRequestInline(ScopedAdminMixin, admin.TabularInline):
    model = SupportRequest
    extra = 0


class OverseasPlacementInline(ScopedAdminMixin, admin.TabularInline):
    model = OverseasPlacement
    extra = 0


@admin.register(Talent)
class TalentAdmin(ImportExportAdmin):
    resource_classes = [TalentResource]
    list_display = [
        "name",
        "sex",
        "masked_id_number",
        "masked_mobile",
        "region",
        "industry",
        "zone",
        "organization",
        "introduced_on",
    ]
    list_filter = [
        "honours__honour",
        "industry",
        "zone",
        IntroducedYearFilter,
        TownFilter,
        "is_overseas",
        DuplicateIdFilter,
        TalentQualityFilter,
    ]
    list_select_related = ["industry", "zone", "organization"]
    search_fields = ["name", "employer"]
    autocomplete_fields = ["organization", "source_event"]
    inlines = [TalentHonourInline, SupportRequestInline, OverseasPlacementInline]
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request):
        # Plan targets name an honour by its name (talent/reports.py talents_introduced_url).
        return lookup == "honours__honour__name" or super().lookup_allowed(lookup, value, request)


class StageChangeInline(ScopedAdminMixin, admin.TabularInline):
    model = ProjectStageChange
    extra = 0


@admin.register(TalentProject)
class TalentProjectAdmin(ImportExportAdmin):
    resource_classes = [TalentProjectResource]
    list_display = [
        "title",
        "enterprise",
        "organization",
        "programme",
        "signed",
        "requested",
        "approved",
        "disbursed",
    ]
    list_filter = ["programme", "source_event"]
    list_select_related = ["organization", "programme"]
    search_fields = ["title", "enterprise"]
    autocomplete_fields = ["talents", "organization", "source_event"]
    inlines = [StageChangeInline]

    def get_queryset(self, request):
        # signed_on also serves ?signed_on__gte=…&signed_on__lte=…, the reports' links.
        return super().get_queryset(request).with_signed_on()

    @admin.display(description="签约日期", ordering="signed_on")
    def signed(self, obj):
        return obj.signed_on


@admin.register(ProjectStageChange)
class ProjectStageChangeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Stage changes of all projects, dated: the list the reports' project counts link to."""

    list_display = ["project", "stage", "changed_on", "organization"]
    list_filter = ["stage"]
    list_select_related = ["project__organization"]
    search_fields = ["project__title"]
    autocomplete_fields = ["project"]
    date_hierarchy = "changed_on"

    @admin.display(description="责任组织", ordering="project__organization__path")
    def organization(self, obj):
        return obj.project.organization


@admin.register(SupportRequest)
class SupportRequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Talents' needs across the registry: what is open, and the target of pledge records."""

    list_display = ["talent", "need", "raised_on", "solved_on", "solved_by"]
    list_filter = [("solved_on", admin.EmptyFieldListFilter)]
    list_select_related = ["talent"]
    search_fields = ["talent__name", "need"]
    autocomplete_fields = ["talent"]
    date_hierarchy = "raised_on"
    ordering = ["-raised_on", "pk"]
