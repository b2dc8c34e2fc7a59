from decimal import Decimal

from django.contrib import admin
from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html

from branches.filters import TownFilter
from talent.forms import InvestmentForm
from talent.models import (
    Fund,
    FundingProgramme,
    Honour,
    Industry,
    Investment,
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
from talent.resources import InvestmentResource, RecruitmentEventResource, TalentProjectResource, TalentResource
from talent.services import INVESTMENT_FIELDS, investment_record
from xiangcheng.admin import EditConflictAdminMixin, ImportExportAdmin, NamedListAdmin, QualityFilter, ScopedAdminMixin
from xiangcheng.reports import changelist_url
from xiangcheng.scoping import has_model_permission

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
        # A grouped query drops Meta.ordering, so it is given again: a picker pages through these.
        return (
            super()
            .get_queryset(request)
            .annotate(
                talent_total=Count("talents", distinct=True),
                project_total=Count("projects", distinct=True),
            )
            .order_by("-held_on", "-pk")
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
    person_search_fields = ("name",)
    autocomplete_fields = ["organization", "source_event"]
    inlines = [TalentHonourInline, SupportRequestInline, OverseasPlacementInline]
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request):
        # Plan targets name an honour by its name (talent/reports.py talents_introduced_url).
        return lookup == "honours__honour__name" or super().lookup_allowed(lookup, value, request)


class StageChangeInline(ScopedAdminMixin, admin.TabularInline):
    model = ProjectStageChange
    extra = 0


class InvestmentInline(ScopedAdminMixin, admin.TabularInline):
    """A project's fund investments, to read beside its funding; they are recorded on the
    investments' own page, where the fund-size rule is checked (talent/services.py)."""

    model = Investment
    extra = 0
    fields = ["fund", "invested_on", "stage", "amount", "share", "exited_on", "exit_amount"]
    readonly_fields = fields
    ordering = ["invested_on", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TalentProject)
class TalentProjectAdmin(ImportExportAdmin):
    resource_classes = [TalentProjectResource]
    change_form_template = "admin/talent/talentproject/change_form.html"
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
    inlines = [StageChangeInline, InvestmentInline]

    def get_queryset(self, request):
        # signed_on also serves ?signed_on__gte=…&signed_on__lte=…, the reports' links.
        return super().get_queryset(request).with_signed_on()

    @admin.display(description="签约日期", ordering="signed_on")
    def signed(self, obj):
        return obj.signed_on

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context = {**context, "support": project_support(request, obj)}
        return super().render_change_form(request, context, add, change, form_url, obj)


def project_support(request, project: TalentProject) -> dict:
    """A project's two kinds of support, side by side: its funding programme's grant (元, also in
    万元) and the fund investments the user may see (万元), with the list of those investments."""
    support = {
        "programme": project.programme.name if project.programme_id else "",
        "approved": project.approved,
        "disbursed": project.disbursed,
        "approved_wan": (project.approved / 10000).quantize(Decimal("0.01")),
        "disbursed_wan": (project.disbursed / 10000).quantize(Decimal("0.01")),
    }
    if has_model_permission(request.user, Investment):
        totals = (
            Investment.objects.visible_to(request.user)
            .filter(project=project)
            .aggregate(
                count=Count("pk"),
                amount=Coalesce(Sum("amount"), Decimal("0.00"), output_field=DecimalField()),
                exited=Count("pk", filter=Q(exited_on__isnull=False)),
            )
        )
        support["investments"] = {
            **totals,
            "url": changelist_url(Investment, project__id__exact=project.pk),
            "add_url": (
                f"{reverse('admin:talent_investment_add')}?project={project.pk}"
                if has_model_permission(request.user, Investment, "add")
                else ""
            ),
        }
    return support


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
    person_search_fields = ("talent__name",)
    autocomplete_fields = ["talent"]
    date_hierarchy = "raised_on"
    ordering = ["-raised_on", "pk"]


@admin.register(Fund)
class FundAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    """The talent innovation funds (district data, staff only), each with what it has invested
    and the room left within its size."""

    list_display = ["name", "size", "manager", "established_on", "term_ends_on", "investment_list", "room"]
    search_fields = ["name", "manager"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                investment_total=Count("investments"),
                invested_total=Coalesce(Sum("investments__amount"), Decimal("0.00"), output_field=DecimalField()),
            )
        )

    @admin.display(description="已投资（万元）", ordering="invested_total")
    def investment_list(self, obj):
        url = changelist_url(Investment, fund__id__exact=obj.pk)
        return format_html('<a href="{}">{} 笔，{} 万元</a>', url, obj.investment_total, f"{obj.invested_total:,.2f}")

    @admin.display(description="剩余可投（万元）")
    def room(self, obj):
        return f"{obj.size - obj.invested_total:,.2f}"


@admin.register(Investment)
class InvestmentAdmin(ImportExportAdmin):
    """The funds' investments in talent projects, dated; the report's fund numbers link here, and
    the list states the sum of the rows it holds (合计)."""

    resource_classes = [InvestmentResource]
    form = InvestmentForm
    change_list_template = "admin/talent/investment/change_list.html"
    list_display = [
        "invested_on",
        "project",
        "fund",
        "stage",
        "amount",
        "share",
        "exited_on",
        "exit_amount",
        "organization",
    ]
    list_display_links = ["invested_on", "project"]
    list_filter = [
        "fund",
        "stage",
        "project__talents__industry",
        "project__talents__honours__honour",
        ("exited_on", admin.EmptyFieldListFilter),
        TownFilter,
    ]
    list_select_related = ["fund", "project__organization"]
    search_fields = ["project__title", "project__enterprise", "fund__name"]
    autocomplete_fields = ["project"]
    fields = INVESTMENT_FIELDS

    @admin.display(description="责任组织", ordering="project__organization__path")
    def organization(self, obj):
        return obj.project.organization

    def save_model(self, request, obj, form, change):
        investment_record(investment=obj, **{name: getattr(obj, name) for name in INVESTMENT_FIELDS})

    def changelist_view(self, request, extra_context=None):
        """The list with the count and the sum of its rows (合计 N 笔投资，投资金额 M 万元): where a
        report's amount leads. The funds' investments are a short table, so it is always summed."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["investment_totals"] = changelist.queryset.aggregate(
                count=Count("pk"),
                amount=Coalesce(Sum("amount"), Decimal("0.00"), output_field=DecimalField()),
            )
        return response
