from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from branches.filters import TownFilter
from cadres.approval import MAX_BATCH, approval_form, for_forms, form_date
from cadres.approval_docx import approval_docx, approval_zip
from cadres.models import (
    DUE_BACK_DAYS,
    REVIEW_DAYS,
    AnnualEvaluation,
    AppointmentProposal,
    Assessment,
    AssessmentDimension,
    AssessmentScore,
    Award,
    Cadre,
    CadreStatistics,
    Completion,
    EducationRecord,
    FamilyMember,
    GrowthNote,
    PostRecord,
    PracticePosting,
    Rank,
    RankChange,
    ReserveEntry,
    TrainingClass,
    TrainingParticipation,
)
from cadres.reports import CADRE_CHECKS, training_parameter, training_value
from cadres.resources import AnnualEvaluationResource, CadreResource, PracticePostingResource, RankChangeResource
from cadres.services import COHORTS, NO_RANK, cadres_link_members, statistics, statistics_dataset
from xiangcheng.admin import (
    ImportExportAdmin,
    MaskedNumbersAdminMixin,
    NamedListAdmin,
    QualityFilter,
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    WindowFilter,
    YearFilter,
    back_to_list,
)
from xiangcheng.audit import show_full_numbers
from xiangcheng.downloads import download
from xiangcheng.imex import CSVFormat, XLSXFormat
from xiangcheng.reports import changelist_url
from xiangcheng.scoping import has_model_permission
from xiangcheng.validators import mask_id_number

admin.site.register(AssessmentDimension, NamedListAdmin)


# Filters -----------------------------------------------------------------------------------------


class RankFilter(admin.SimpleListFilter):
    """By current rank (the `current_rank` annotation of CadreQuerySet.with_rank)."""

    title = "现职级"
    parameter_name = "rank"

    def lookups(self, request, model_admin):
        return [*Rank.choices, ("none", NO_RANK)]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(current_rank__isnull=True)
        if self.value() in Rank.values:
            return queryset.filter(current_rank=self.value())
        return queryset


class CohortFilter(admin.SimpleListFilter):
    title = "出生年代"
    parameter_name = "cohort"

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _ in COHORTS]

    def queryset(self, request, queryset):
        for key, _, condition in COHORTS:
            if self.value() == key:
                return queryset.filter(condition)
        return queryset


class PracticeFilter(admin.SimpleListFilter):
    """Cadres on a practice posting today, or due back within DUE_BACK_DAYS."""

    title = "实践锻炼"
    parameter_name = "practice"

    def lookups(self, request, model_admin):
        return [("now", "正在实践锻炼"), ("due_back", f"{DUE_BACK_DAYS}天内期满返回")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "now":
            return queryset.practising(today)
        if self.value() == "due_back":
            return queryset.due_back(today)
        return queryset


class ReviewFilter(admin.SimpleListFilter):
    """Reserve cadres under inspection longer than REVIEW_DAYS today (`ReserveEntryQuerySet.review_overdue`)."""

    title = "考察期限"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", f"考察超过{REVIEW_DAYS}天")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.review_overdue(timezone.localdate())
        return queryset


class SectionLevelReachedFilter(WindowFilter):
    """Cadres who first reached section level in a window (`CadreQuerySet.reached_section_level`)."""

    title = "首次晋升科级（期间）"
    parameter_name = "section_level_reached"

    def filter_window(self, queryset, window):
        return queryset.reached_section_level(window.start, window.end)


class TrainingFilter(admin.SimpleListFilter):
    """Cadres in a training class ("12"), or those of them who completed it ("12-completed"): the
    report's and the class list's counts link here. It shows in the sidebar only while in use
    (no query for the list otherwise). Read through the participations the user may see: without
    that permission, or for a class that does not exist, the list is empty and says why."""

    title = "培训班"
    parameter_name = "training"

    def _training(self, request):
        """(class or None, completed) of the value; raises IncorrectLookupParameters if malformed."""
        chosen = training_parameter(self.value())
        if chosen is None:
            raise IncorrectLookupParameters(f"培训班参数无效：{self.value()}")
        number, completed = chosen
        if not has_model_permission(request.user, TrainingParticipation):
            return None, completed
        return TrainingClass.objects.filter(pk=number).first(), completed

    def lookups(self, request, model_admin):
        if self.value() is None:
            return []
        training, _ = self._training(request)
        if training is None:
            return [(self.value(), "培训班不存在，或无权查看参训记录")]
        return [
            (training_value(training.pk), f"{training.name}·参训"),
            (training_value(training.pk, completed=True), f"{training.name}·已结业"),
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        training, completed = self._training(request)
        if training is None:
            return queryset.none()
        participations = TrainingParticipation.objects.visible_to(request.user).filter(training_class=training)
        if completed:
            participations = participations.filter(completion=Completion.COMPLETED)
        return queryset.filter(Exists(participations.filter(cadre=OuterRef("pk"))))


class CadreQualityFilter(QualityFilter):
    checks = CADRE_CHECKS


class PostingStatusFilter(admin.SimpleListFilter):
    title = "锻炼状态"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("now", "正在锻炼"),
            ("due_back", f"{DUE_BACK_DAYS}天内期满返回"),
            ("upcoming", "尚未开始"),
            ("ended", "已结束"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        filters = {
            "now": lambda: queryset.active_on(today),
            "due_back": lambda: queryset.due_back(today),
            "upcoming": lambda: queryset.filter(start__gt=today),
            "ended": lambda: queryset.filter(end__lt=today),
        }
        return filters[self.value()]() if self.value() in filters else queryset


# Inlines of the cadre change form: the growth archive ----------------------------------------------


class ArchiveInline(ScopedAdminMixin, admin.TabularInline):
    extra = 0


class RankChangeInline(ArchiveInline):
    model = RankChange


class EducationRecordInline(ArchiveInline):
    model = EducationRecord


class PostRecordInline(ArchiveInline):
    model = PostRecord


class TrainingParticipationInline(ArchiveInline):
    model = TrainingParticipation
    autocomplete_fields = ["training_class"]


class PostingFormSet(BaseInlineFormSet):
    """Refuses overlapping postings among the rows of one submission; each row's clean() has
    already compared it with the postings saved before (see PracticePosting)."""

    def clean(self):
        super().clean()
        spans = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not (data.get("start") and data.get("end")):
                continue
            start, end = data["start"], data["end"]
            for other_start, other_end in spans:
                if start <= other_end and other_start <= end:
                    raise ValidationError(
                        f"同一干部的实践锻炼时间不能重叠：{other_start:%Y-%m-%d} 至 {other_end:%Y-%m-%d} 与 "
                        f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d} 重叠。"
                    )
            spans.append((start, end))


class PracticePostingInline(ArchiveInline):
    model = PracticePosting
    formset = PostingFormSet


class AnnualEvaluationInline(ArchiveInline):
    model = AnnualEvaluation


class AwardInline(ArchiveInline):
    model = Award


class AssessmentInline(ArchiveInline):
    """Assessments with their average; scores are edited on the assessment's own page."""

    model = Assessment
    fields = ["round", "assessed_on", "assessor", "average"]
    readonly_fields = ["average"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(average_score=Avg("scores__score"))

    @admin.display(description="平均分")
    def average(self, obj):
        value = getattr(obj, "average_score", None)
        return f"{value:.1f}" if value is not None else "—"


class GrowthNoteInline(ArchiveInline):
    model = GrowthNote
    fields = ["noted_on", "content", "recorded_by"]
    readonly_fields = ["recorded_by"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})}}


class ReserveEntryInline(ArchiveInline):
    model = ReserveEntry


class FamilyMemberInline(ArchiveInline):
    model = FamilyMember
    fields = ["sort_order", "relation", "name", "birth_date", "political_status", "work"]


class AppointmentProposalInline(ArchiveInline):
    model = AppointmentProposal
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}


# Cadres -------------------------------------------------------------------------------------------


@admin.register(Cadre)
class CadreAdmin(ImportExportAdmin):
    resource_classes = [CadreResource]
    list_display = [
        "name",
        "sex",
        "masked_id_number",
        "birth_date",
        "line",
        "cadre_type",
        "source",
        "rank",
        "rank_since",
        "unit",
        "post",
        "organization",
    ]
    list_filter = [
        "line",
        "cadre_type",
        "source",
        RankFilter,
        CohortFilter,
        SectionLevelReachedFilter,
        PracticeFilter,
        TrainingFilter,
        TownFilter,
        CadreQualityFilter,
    ]
    list_select_related = ["organization"]
    search_fields = ["name", "unit", "post"]
    person_search_fields = ("name",)
    autocomplete_fields = ["organization"]
    fields = [
        "name",
        "sex",
        "id_number",
        "birth_date",
        "member_link",
        "ethnicity",
        "native_place",
        "birthplace",
        "health",
        "degree",
        "major",
        "school",
        "technical_title",
        "expertise",
        "unit",
        "post",
        "organization",
        "line",
        "cadre_type",
        "source",
        "rank",
        "notes",
    ]
    readonly_fields = ["birth_date", "member_link", "rank"]
    inlines = [
        RankChangeInline,
        EducationRecordInline,
        PostRecordInline,
        TrainingParticipationInline,
        PracticePostingInline,
        AnnualEvaluationInline,
        AwardInline,
        AssessmentInline,
        ReserveEntryInline,
        GrowthNoteInline,
        FamilyMemberInline,
        AppointmentProposalInline,
    ]
    actions = ["link_members", "download_approval_forms"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).with_rank()

    @admin.display(description="现职级", ordering="current_rank")
    def rank(self, obj):
        rank = getattr(obj, "current_rank", None)
        return Rank(rank).label if rank else "—"

    @admin.display(description="任现职级时间", ordering="rank_since")
    def rank_since(self, obj):
        return getattr(obj, "rank_since", None) or "—"

    @admin.display(description="党员名册")
    def member_link(self, obj):
        return "已关联党员名册（按身份证号）" if obj.member_id else "未在党员名册中"

    @admin.action(description="按身份证号关联党员名册", permissions=["change"])
    def link_members(self, request, queryset):
        count = cadres_link_members(queryset)
        self.message_user(request, f"已按身份证号核对 {count} 名干部与党员名册的关联。", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change page itself answers 404 for a cadre outside the user's scope.
        can_download = self.has_approval_form_permission(request)
        extra_context = {**(extra_context or {}), "can_download_approval_form": can_download}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_approval_form_permission(self, request, obj=None) -> bool:
        """A form is a file handed out: an export, of a cadre the user may view."""
        return request.user.has_perm("xiangcheng.export_data") and self.has_view_permission(request, obj)

    @admin.action(description="下载干部任免审批表", permissions=["approval_form"])
    def download_approval_forms(self, request, queryset):
        """The forms of the selected cadres, filled today, one DOCX each in a ZIP."""
        total = queryset.count()
        if total > MAX_BATCH:
            self.message_user(
                request, f"一次最多下载 {MAX_BATCH} 份干部任免审批表，已选 {total} 名，请缩小范围。", messages.WARNING
            )
            return None
        today = timezone.localdate()
        cadres = list(
            for_forms(Cadre.objects.filter(pk__in=queryset.values("pk")).order_by("organization__path", "name"))
        )
        content = approval_zip(approval_form(cadre, today) for cadre in cadres)
        filename = f"干部任免审批表-{today:%Y-%m-%d}.zip"
        what = f"干部任免审批表（{len(cadres)}份）"
        return download(request, content, filename=filename, what=what, rows=len(cadres))

    def save_formset(self, request, form, formset, change):
        if formset.model is GrowthNote:
            for note_form in formset.forms:
                if note_form.instance.pk is None:
                    note_form.instance.recorded_by = request.user
        super().save_formset(request, form, formset, change)

    def get_urls(self):
        archive = path(
            "<path:object_id>/archive/", self.admin_site.admin_view(self.archive_view), name="cadres_cadre_archive"
        )
        approval = [
            path(
                "<path:object_id>/approval-form/",
                self.admin_site.admin_view(self.approval_form_view),
                name="cadres_cadre_approval_form",
            ),
            path(
                "<path:object_id>/approval-form/print/",
                self.admin_site.admin_view(self.approval_print_view),
                name="cadres_cadre_approval_print",
            ),
        ]
        return [archive, *approval, *super().get_urls()]

    def _form_cadre(self, request, object_id) -> Cadre:
        """The cadre of a form page, if the user may view them (404 outside their scope, 403
        without the permission), with everything the form reads."""
        cadre = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, cadre):
            raise PermissionDenied
        return for_forms(Cadre.objects.filter(pk=cadre.pk)).get()

    def approval_form_view(self, request, object_id):
        """One cadre's 干部任免审批表 as DOCX, filled on `?on=` (default and fallback: today)."""
        cadre = self._form_cadre(request, object_id)
        if not self.has_approval_form_permission(request, cadre):
            raise PermissionDenied
        on, _ = form_date(request.GET.get("on"), timezone.localdate())
        form = approval_form(cadre, on)
        return download(request, approval_docx(form), filename=form.filename, what=f"干部任免审批表：{cadre}", rows=1)

    def approval_print_view(self, request, object_id):
        """One cadre's 干部任免审批表 as a page to print (A4, two pages), filled on `?on=`."""
        cadre = self._form_cadre(request, object_id)
        on, problem = form_date(request.GET.get("on"), timezone.localdate())
        context = {
            **self.admin_site.each_context(request),
            "title": f"干部任免审批表：{cadre.name}",
            "subtitle": None,
            "opts": self.model._meta,
            "cadre": cadre,
            "form": approval_form(cadre, on),
            "problem": problem,
            "can_download": self.has_approval_form_permission(request, cadre),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cadres/cadre/approval_form.html", context)

    def archive_view(self, request, object_id):
        """The whole growth archive of one cadre on one print-friendly page; a fixed number of
        queries (one per kind of record) whatever the archive's length."""
        cadre = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, cadre):
            raise PermissionDenied
        cadre = archive_of(cadre)
        dimensions = list(AssessmentDimension.objects.all())
        assessments = []
        for assessment in cadre.assessments.all():
            by_dimension = {score.dimension_id: score.score for score in assessment.scores.all()}
            scores = [score.score for score in assessment.scores.all()]
            average = sum(scores) / len(scores) if scores else None
            assessments.append((assessment, [by_dimension.get(d.pk) for d in dimensions], average))
        if show_full_numbers(request.user, f"干部成长档案：{cadre}"):
            id_number = cadre.id_number
        else:
            id_number = mask_id_number(cadre.id_number)
        context = {
            **self.admin_site.each_context(request),
            "title": f"干部成长档案：{cadre.name}",
            "subtitle": None,
            "opts": self.model._meta,
            "cadre": cadre,
            "id_number": id_number,
            "rank_label": self.rank(cadre),
            "dimensions": dimensions,
            "assessments": assessments,
            "completed_trainings": sum(1 for t in cadre.trainings.all() if t.completion == "completed"),
            "grassroots_posts": sum(1 for p in cadre.post_records.all() if p.is_grassroots),
            "printed_on": timezone.localdate(),
            "can_download_approval_form": self.has_approval_form_permission(request, cadre),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cadres/cadre/archive.html", context)


def archive_of(cadre: Cadre) -> Cadre:
    """`cadre` with every record of its archive loaded: one query per kind of record."""
    cadre = (
        Cadre.objects.with_rank()
        .select_related("organization")
        .prefetch_related(
            "rank_changes",
            "education_records",
            "post_records",
            Prefetch(
                "trainings",
                queryset=TrainingParticipation.objects.select_related("training_class").order_by(
                    "training_class__start"
                ),
            ),
            Prefetch("postings", queryset=PracticePosting.objects.order_by("start")),
            "evaluations",
            "awards",
            Prefetch(
                "assessments",
                queryset=Assessment.objects.prefetch_related(
                    Prefetch("scores", queryset=AssessmentScore.objects.select_related("dimension"))
                ),
            ),
            "reserve_entries",
            Prefetch("notes_log", queryset=GrowthNote.objects.select_related("recorded_by")),
        )
        .get(pk=cadre.pk)
    )
    return cadre


# Statistics ---------------------------------------------------------------------------------------


class StatisticsChangeList(ChangeList):
    """The filtered cadres counted by line × rank × birth cohort instead of listed."""

    def get_results(self, request):
        self.statistics = statistics(self.queryset)
        self.result_count = self.full_result_count = self.statistics[-1].total
        self.result_list = []
        self.can_show_all = False
        self.multi_page = False
        self.show_full_result_count = False
        self.show_admin_actions = False


@admin.register(CadreStatistics)
class CadreStatisticsAdmin(ReadOnlyAdminMixin, MaskedNumbersAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Cadres by line × birth cohort × current rank, filtered like the cadre list; CSV/XLSX export."""

    list_filter = ["line", "cadre_type", "source", TownFilter]
    actions = None
    # The table is the count; per-filter facet counts would only repeat it at more cost.
    show_facets = admin.ShowFacets.NEVER
    statistics_formats = {"csv": CSVFormat, "xlsx": XLSXFormat}
    # The page's title, and the name of the exported XLSX's sheet.
    title = "干部统计：条线 × 出生年代 × 现职级"

    def get_changelist(self, request, **kwargs):
        return StatisticsChangeList

    def has_export_permission(self, request):
        return request.user.has_perm("xiangcheng.export_data") and self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": self.title,
            **(extra_context or {}),
            "headers": [label for _, label, _ in COHORTS],
            "can_export": self.has_export_permission(request),
            "query_string": request.GET.urlencode(),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        export = path(
            "export/<str:file_format>/",
            self.admin_site.admin_view(self.export_view),
            name="cadres_cadrestatistics_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request, file_format):
        format_class = self.statistics_formats.get(file_format)
        if format_class is None:
            raise Http404("不支持的导出格式。")
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return back_to_list(CadreStatistics)
        rows = changelist.statistics
        dataset = statistics_dataset(rows)
        dataset.title = self.title
        content = format_class().export_data(dataset)
        filename = f"干部统计-{timezone.localdate():%Y-%m-%d}.{file_format}"
        return download(request, content, filename=filename, what="干部统计", rows=len(rows))


# Records with their own lists ---------------------------------------------------------------------


@admin.register(RankChange)
class RankChangeAdmin(ImportExportAdmin):
    resource_classes = [RankChangeResource]
    list_display = ["cadre", "rank", "changed_on", "document", "organization"]
    list_filter = ["rank", TownFilter]
    list_select_related = ["cadre__organization"]
    search_fields = ["cadre__name", "document"]
    person_search_fields = ("cadre__name",)
    autocomplete_fields = ["cadre"]
    date_hierarchy = "changed_on"

    @admin.display(description="单位党组织", ordering="cadre__organization__path")
    def organization(self, obj):
        return obj.cadre.organization


@admin.register(AnnualEvaluation)
class AnnualEvaluationAdmin(ImportExportAdmin):
    resource_classes = [AnnualEvaluationResource]
    list_display = ["cadre", "year", "grade", "notes"]
    list_filter = [YearFilter, "grade", TownFilter]
    list_select_related = ["cadre"]
    search_fields = ["cadre__name"]
    person_search_fields = ("cadre__name",)
    autocomplete_fields = ["cadre"]


@admin.register(PracticePosting)
class PracticePostingAdmin(ImportExportAdmin):
    """Practice postings; the status filter lists who is on secondment now and who is due back."""

    resource_classes = [PracticePostingResource]
    list_display = ["cadre", "kind", "host_unit", "start", "end", "status", "organization"]
    list_filter = [PostingStatusFilter, "kind", TownFilter]
    list_select_related = ["cadre__organization"]
    search_fields = ["cadre__name", "host_unit"]
    person_search_fields = ("cadre__name",)
    autocomplete_fields = ["cadre"]
    date_hierarchy = "start"

    @admin.display(description="状态")
    def status(self, obj):
        today = timezone.localdate()
        if obj.start > today:
            return "尚未开始"
        if obj.end < today:
            return "已结束"
        if obj.end <= today + timedelta(days=DUE_BACK_DAYS):
            return f"{(obj.end - today).days}天后期满"
        return "正在锻炼"

    @admin.display(description="单位党组织", ordering="cadre__organization__path")
    def organization(self, obj):
        return obj.cadre.organization


class ParticipationInline(ScopedAdminMixin, admin.TabularInline):
    model = TrainingParticipation
    extra = 0
    autocomplete_fields = ["cadre"]


@admin.register(TrainingClass)
class TrainingClassAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "start", "end", "place", "participant_count", "completed_count"]
    search_fields = ["name", "place"]
    date_hierarchy = "start"
    inlines = [ParticipationInline]

    def get_queryset(self, request):
        # Subqueries over the participations the user may see: a class is district-wide, its
        # participants belong to organizations.
        participations = TrainingParticipation.objects.visible_to(request.user)
        per_class = participations.filter(training_class=OuterRef("pk")).order_by().values("training_class")
        return (
            super()
            .get_queryset(request)
            .annotate(
                participant_total=Subquery(per_class.annotate(n=Count("pk")).values("n")),
                completed_total=Subquery(
                    per_class.filter(completion=Completion.COMPLETED).annotate(n=Count("pk")).values("n")
                ),
            )
        )

    @admin.display(description="参训人数", ordering="participant_total")
    def participant_count(self, obj):
        url = changelist_url(Cadre, training=training_value(obj.pk))
        return format_html('<a href="{}">{}</a>', url, obj.participant_total or 0)

    @admin.display(description="结业人数", ordering="completed_total")
    def completed_count(self, obj):
        url = changelist_url(Cadre, training=training_value(obj.pk, completed=True))
        return format_html('<a href="{}">{}</a>', url, obj.completed_total or 0)


class ScoreFormSet(BaseInlineFormSet):
    """Every dimension scored once; a new assessment starts with one row per dimension."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            for form, dimension in zip(self.extra_forms, AssessmentDimension.objects.all(), strict=False):
                form.initial["dimension"] = dimension.pk

    def clean(self):
        super().clean()
        scored = {
            form.cleaned_data["dimension"].pk
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("dimension")
            and not form.cleaned_data.get("DELETE")
        }
        missing = [d.name for d in AssessmentDimension.objects.all() if d.pk not in scored]
        if missing:
            raise ValidationError(f"还有维度没有打分：{'、'.join(missing)}。")


class AssessmentScoreInline(ScopedAdminMixin, admin.TabularInline):
    model = AssessmentScore
    formset = ScoreFormSet

    def get_extra(self, request, obj=None, **kwargs):
        return AssessmentDimension.objects.count() if obj is None else 0


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["cadre", "round", "assessed_on", "assessor", "average"]
    list_filter = ["round", TownFilter]
    list_select_related = ["cadre"]
    search_fields = ["cadre__name", "round", "assessor"]
    person_search_fields = ("cadre__name",)
    autocomplete_fields = ["cadre"]
    inlines = [AssessmentScoreInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(average_score=Avg("scores__score"))

    @admin.display(description="平均分", ordering="average_score")
    def average(self, obj):
        return f"{obj.average_score:.1f}" if obj.average_score is not None else "—"


@admin.register(ReserveEntry)
class ReserveEntryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The reserve pool of outstanding young cadres."""

    list_display = ["cadre", "category", "entered_on", "status", "status_on", "organization"]
    list_filter = ["status", "category", ReviewFilter, TownFilter]
    list_select_related = ["cadre__organization"]
    search_fields = ["cadre__name"]
    person_search_fields = ("cadre__name",)
    autocomplete_fields = ["cadre"]

    @admin.display(description="单位党组织", ordering="cadre__organization__path")
    def organization(self, obj):
        return obj.cadre.organization
