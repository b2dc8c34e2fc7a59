from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q, Sum, Value
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from branches.filters import TownFilter
from members import venue_admin  # noqa: F401 (registers the venue admins)
from members.forms import CompletionForm, MemberForm, VisitForm
from members.models import (
    CheckItem,
    Fulfilment,
    HealthCheck,
    HealthCheckScore,
    Household,
    Member,
    MemberRecognition,
    MemberTransfer,
    Pairing,
    Pledge,
    Visit,
)
from members.querysets import completion_by_organization
from members.reports import HOUSEHOLD_CHECKS, MEMBER_CHECKS, PAIRING_CHECKS, PLEDGE_CHECKS, completion_urls
from members.resources import HouseholdResource, MemberResource, PairingResource, PledgeResource, VisitResource
from members.services import member_save
from xiangcheng.admin import (
    EditConflictAdminMixin,
    ImportExportAdmin,
    JudgedFilter,
    QualityFilter,
    ScopedAdminMixin,
    YearFilter,
    judged_lookup,
)
from xiangcheng.downloads import download
from xiangcheng.forms import quarter_choices, quarter_parameter, year_choices, year_parameter
from xiangcheng.periods import QUARTER_NAMES, period_of, reference_day, year_period
from xiangcheng.replicas import reads_from_replica
from xiangcheng.reports import (
    Cell,
    Section,
    Table,
    changelist_url,
    on_screen,
    percent,
    report_xlsx,
    section_csv,
)
from xiangcheng.scoping import has_model_permission, sees_whole_district
from xiangcheng.sites import narrowed_by
from xiangcheng.snapshots import figures, snapshot_key
from xiangcheng.views import requires_scope


def _today():
    return timezone.localdate()


class ExportOnly:
    """Lists exported from the admin but not imported (only the roster is imported in bulk)."""

    def has_import_permission(self, request):
        return False


class OnRollFilter(JudgedFilter):
    """Members on the roll on a day (`MemberQuerySet.on_roll`), as the reports count them: the
    status column alone would keep a member whose transfer out is dated later, or one joining later."""

    title = "在册党员（按日）"
    parameter_name = "on_roll"
    states = [("yes", "在册")]

    def judged(self, queryset, state, on):
        return queryset.on_roll(on)


class HelpedFilter(JudgedFilter):
    """Households being helped on a day (`HouseholdQuerySet.helped_on`), as the reports count them."""

    title = "帮扶中（按日）"
    parameter_name = "helped"
    states = [("yes", "帮扶中")]

    def judged(self, queryset, state, on):
        return queryset.helped_on(on)


class ShortfallFilter(admin.SimpleListFilter):
    """A "falls short" list: the filter's choices are years, and choosing one narrows the list to
    the rows that fall short in it, judged on the year's reference day (today while it runs) or
    on the day the value names ("2026@2026-09-30", `periods.judged_value`): a report of a quarter
    already over counts them on its last day, and the sidebar then shows that day. Scoped like
    the list (the queryset it narrows is)."""

    def _chosen(self):
        """(year, day judged on) of the value; a malformed one is the list's "incorrect lookup"."""
        year, on = judged_lookup(self.value())
        year = year_parameter(year)
        if year is None:
            raise IncorrectLookupParameters(f"年度无效：{self.value()}")
        return year, on or reference_day(year_period(year), _today())

    def lookups(self, request, model_admin):
        choices = year_choices(_today())
        if self.value() is not None and self.value() not in dict(choices):
            year, on = self._chosen()
            choices.append((self.value(), f"{year_period(year).label}（截至 {on:%Y-%m-%d}）"))
        return choices

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return self.shortfall(queryset, *self._chosen())

    def shortfall(self, queryset, year: int, on):
        raise NotImplementedError


class WithoutPledgeFilter(ShortfallFilter):
    title = "未作365承诺（年度）"
    parameter_name = "without_pledge"

    def shortfall(self, queryset, year, on):
        return queryset.without_pledge(year, on)


class BelowQuotaFilter(ShortfallFilter):
    title = "结对户数不足（年度）"
    parameter_name = "below_quota"

    def shortfall(self, queryset, year, on):
        return queryset.below_household_quota(year, on)


class MemberQualityFilter(QualityFilter):
    checks = MEMBER_CHECKS


class HouseholdQualityFilter(QualityFilter):
    checks = HOUSEHOLD_CHECKS


class PledgeQualityFilter(QualityFilter):
    checks = PLEDGE_CHECKS


class PairingQualityFilter(QualityFilter):
    checks = PAIRING_CHECKS


class RoleFilter(admin.SimpleListFilter):
    title = "身份（今日）"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [("leading", "科级以上党员领导干部"), ("agency", "机关党员")]

    def queryset(self, request, queryset):
        today = _today()
        if self.value() == "leading":
            return queryset.filter(leading_cadre_since__lte=today)
        if self.value() == "agency":
            return queryset.filter(agency_member_since__lte=today)
        return queryset


class MemberTransferInline(ScopedAdminMixin, admin.TabularInline):
    model = MemberTransfer
    fields = ["transferred_on", "from_organization", "to_organization"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Transfers are made by changing the member's organization (with its date).
        return False


class RecognitionInline(ScopedAdminMixin, admin.TabularInline):
    model = MemberRecognition
    extra = 0


def member_label(member) -> str:
    """A member as a picker names them: with their branch (a town has several 王静)."""
    return f"{member.name}（{member.organization}）"


@admin.register(Member)
class MemberAdmin(ImportExportAdmin):
    form = MemberForm
    resource_classes = [MemberResource]
    # A picker names a member with their branch: a town has several 王静 (xiangcheng/sites.py).
    choice_related = ("organization",)

    def choice_label(self, obj):
        return member_label(obj)

    list_display = [
        "name",
        "sex",
        "masked_id_number",
        "masked_mobile",
        "organization",
        "category",
        "party_post",
        "joined_on",
        "status",
    ]
    list_filter = [
        TownFilter,
        "status",
        OnRollFilter,
        "category",
        "party_post",
        RoleFilter,
        WithoutPledgeFilter,
        BelowQuotaFilter,
        MemberQualityFilter,
    ]
    list_select_related = ["organization"]
    search_fields = ["name", "=id_number"]
    person_search_fields = ("name",)
    autocomplete_fields = ["organization"]
    readonly_fields = ["birth_date"]
    inlines = [MemberTransferInline, RecognitionInline]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["name", "sex", "ethnicity", "id_number", "birth_date", "mobile", "education"]}),
        ("组织关系", {"fields": ["organization", "transferred_on", "joined_on", "category", "party_post"]}),
        ("身份", {"fields": ["leading_cadre_since", "agency_member_since"]}),
        ("党籍状态", {"fields": ["status", "status_on"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # A new member has no organization to transfer from.
            return [
                (title, {**options, "fields": [f for f in options["fields"] if f != "transferred_on"]})
                for title, options in fieldsets
            ]
        return fieldsets

    def save_model(self, request, obj, form, change):
        member_save(member=obj, transferred_on=form.cleaned_data.get("transferred_on"))


class FulfilmentInline(ScopedAdminMixin, admin.StackedInline):
    """New fulfilments of a pledge. Those recorded are listed above it (`recorded_fulfilments`)
    and changed on their own page: as editable cards, a pledge's 30 fulfilments made its page
    7,200 px long on a phone."""

    model = Fulfilment
    verbose_name_plural = "记录新的履诺"
    extra = 0
    autocomplete_fields = ["talent", "support_request", "project"]
    fields = [("kind", "done_on"), "enterprise", ("talent", "support_request", "project"), "action", "outcome"]

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    # Only rows to add: shown to a user who may add them, never a recorded one to change here.
    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class NewRowsOnly(formset):
            def clean(self):
                # A page opened when recorded fulfilments were rows of this form posts them: their
                # changes would be dropped without a word.
                if self.initial_form_count():
                    raise ValidationError("页面已过期：履诺记录现在在各自的页面修改。请刷新本页后重新填写。")
                super().clean()

        return NewRowsOnly


# The latest fulfilments a pledge's page lists; the list of all of them is a link away.
RECORDED_SHOWN = 10


def recorded_fulfilments(pledge, user) -> dict:
    """A pledge's latest fulfilments `user` may see (`rows`), how many, and the list of them all."""
    fulfilments = (
        Fulfilment.objects.visible_to(user).filter(pledge=pledge).select_related("talent").order_by("-done_on", "-pk")
    )
    rows = list(fulfilments[:RECORDED_SHOWN])
    return {
        "rows": rows,
        "count": fulfilments.count() if len(rows) == RECORDED_SHOWN else len(rows),
        "url": changelist_url(Fulfilment, pledge__id__exact=pledge.pk),
    }


class UnfulfilledFilter(JudgedFilter):
    title = "未完成的承诺"
    parameter_name = "unfulfilled"
    states = [("any", "任一方面未完成"), *((line, f"{label}未完成") for line, (label, _) in Pledge.LINES.items())]

    def judged(self, queryset, state, on):
        return queryset.unfulfilled(None if state == "any" else state, until=on)


class FulfilledFilter(JudgedFilter):
    title = "已完成的承诺"
    parameter_name = "fulfilled"
    states = [(line, f"{label}已完成") for line, (label, _) in Pledge.LINES.items()]

    def judged(self, queryset, state, on):
        return queryset.fulfilled(state, until=on)


class DueFilter(admin.SimpleListFilter):
    title = "应完成的承诺"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [(line, f"{label}应完成") for line, (label, _) in Pledge.LINES.items()]

    def queryset(self, request, queryset):
        if self.value() in Pledge.LINES:
            return queryset.filter(queryset.line_due(self.value()))
        return queryset


@admin.register(Pledge)
class PledgeAdmin(ExportOnly, ImportExportAdmin):
    resource_classes = [PledgeResource]
    choice_related = ("member__organization",)

    def choice_label(self, obj):
        return f"{member_label(obj.member)}{obj.year}年承诺"

    change_list_template = "admin/members/pledge/change_list.html"
    list_display = ["member", "organization", "year", "enterprise_line", "talent_line", "relief_line"]
    # The filters that count fulfilments per pledge come last, so they count only the pledges
    # the others left (list filters apply in this order).
    list_filter = [YearFilter, TownFilter, DueFilter, PledgeQualityFilter, FulfilledFilter, UnfulfilledFilter]
    list_select_related = ["member__organization"]
    search_fields = ["member__name"]
    person_search_fields = ("member__name",)
    autocomplete_fields = ["member"]
    inlines = [FulfilmentInline]
    show_full_result_count = False
    # Newest first, from an index (members_pledge_year_id); the columns still sort on a click.
    ordering = ["-year", "-pk"]

    def get_queryset(self, request):
        # Correlated counts per row, computed for the page shown only; the member and their
        # organization are named in every row and autocomplete label (a select_related here
        # replaces list_select_related, so it names both).
        return super().get_queryset(request).select_related("member__organization").with_progress()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context = {**context, "recorded": recorded_fulfilments(obj, request.user)}
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        completion = self.admin_site.admin_view(self.completion_view)
        return [path("completion/", completion, name="members_pledge_completion"), *super().get_urls()]

    @admin.display(description="所在党组织", ordering="member__organization__path")
    def organization(self, obj):
        return obj.member.organization

    def _line(self, obj, line):
        _, items = Pledge.LINES[line]
        done = obj.line_status()[line]
        parts = "，".join(f"{getattr(obj, f'done_{item}')}/{getattr(obj, item)}" for item in items)
        if not any(getattr(obj, item) for item in items):
            return "—"
        return format_html(
            '<span class="{}">{} {}</span>',
            "line-done" if done else "line-open",
            "已完成" if done else "未完成",
            parts,
        )

    @admin.display(description="企业服务")
    def enterprise_line(self, obj):
        return self._line(obj, "enterprise")

    @admin.display(description="人才服务")
    def talent_line(self, obj):
        return self._line(obj, "talent")

    @admin.display(description="结对帮扶")
    def relief_line(self, obj):
        return self._line(obj, "relief")

    @reads_from_replica
    @requires_scope
    def completion_view(self, request):
        """Pledge completion by line and visit coverage, per town and per branch, for a year or a
        quarter and an organization within the user's scope; on screen or as a file."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = CompletionForm(request.GET, user=request.user)
        section = heading = None
        if form.is_valid():
            data = form.cleaned_data
            year, quarter, organization = data["year"], data["quarter"], data["organization"]
            period = period_of(year, quarter)

            kind = request.GET.get("download")
            wanted = kind in ("csv", "xlsx")

            def compute():
                result = completion_by_organization(request.user, year, quarter, _today(), organization)
                return completion_section(result, year, organization, screen=not wanted).to_dict(exact=True)

            cut = "whole" if wanted else "screen"
            key = snapshot_key(request.user, "completion", year, quarter, organization.pk, cut)
            section = Section.from_dict(figures({key: compute}, may_lag=not wanted)[key])
            heading = f"{period.label} · {organization}"
            if wanted:
                if not self.has_export_permission(request):
                    raise PermissionDenied
                return completion_download(request, section, heading, period, kind)
        context = {
            **self.admin_site.each_context(request),
            "title": "365承诺完成与走访覆盖情况",
            "opts": self.model._meta,
            "period_form": form,
            "section": section,
            "heading": heading,
            "query": form.query() if section else "",
            "can_download": self.has_export_permission(request),
        }
        return TemplateResponse(request, "admin/members/completion.html", context)


def _share(done: int, of: int) -> str:
    """Done of due, with the share as the report writes it: 3/4（75.0%）; a dash when none is due."""
    return f"{done}/{of}（{percent(done, of)}）" if of else percent(done, of)


def completion_section(result, year: int, organization, *, screen: bool = False) -> Section:
    """The completion result as two tables (by town, by branch): on the page each line's done of
    due and its share in one cell (3/4（75.0%）); in the files each as a number of its own (done,
    due, share), for a spreadsheet to sum, with the same columns in both tables. A branch's
    numbers link to the rows of that organization alone; a town's total to its subtree (within
    the chosen organization). With `screen`, the branch table is made of the rows a page shows
    (`on_screen`), with the count of all, and neither table repeats what a phone has no width
    for: the town table has no branch or secretary, the branch table no town when all its rows
    are of one."""
    labels = ["镇（街道）", "党组织", "书记"]
    quarters = result["quarters"]
    if screen:
        headers = ["在册党员", "已承诺", "企业服务完成", "人才服务完成", "结对帮扶完成"]
        headers += [f"{QUARTER_NAMES[q]}走访覆盖" for q in quarters]
    else:
        headers = ["在册党员", "已承诺", "企业服务完成", "企业服务完成率", "人才服务完成", "人才服务完成率"]
        headers += ["结对帮扶完成", "结对帮扶应完成", "结对帮扶完成率"]
        for q in quarters:
            name = QUARTER_NAMES[q]
            headers += [f"{name}已走访", f"{name}需走访的结对", f"{name}走访覆盖率"]

    def names(row):
        return [
            row["town"].name,
            "全镇（街道）合计" if row.get("is_total", False) else row["organization"].name,
            row["secretary"] or "—",
        ]

    def line(done, of, urls, done_key, of_key=None):
        """A line's cells: its share on the page; done, (due,) share in a file. Links read from
        `urls` only as shown (a link not shown is never made)."""
        if screen:
            return [Cell(_share(done, of), urls[done_key])]
        return [Cell(done, urls[done_key]), *([Cell(of, urls[of_key])] if of_key else []), percent(done, of)]

    def cells(row):
        urls = completion_urls(row, result, organization)
        coverage = []
        for q in quarters:
            visited, due = row["coverage"].get(q, (0, 0))
            coverage += line(visited, due, urls["coverage"][q], "visited", "due")
        return [
            Cell(row["members"], urls["members"]),
            Cell(row["pledges"], urls["pledges"]),
            *line(row["enterprise"], row["pledges"], urls, "enterprise"),
            *line(row["talent"], row["pledges"], urls, "talent"),
            *line(row["relief"], row["relief_due"], urls, "relief", "relief_due"),
            *coverage,
        ]

    branches = result["branches"]
    shown = on_screen(branches) if screen else branches
    town_names = slice(0, 1) if screen else slice(0, 3)
    one_town = screen and len({row["town"].pk for row in branches}) == 1
    branch_names = slice(1, 3) if one_town else slice(0, 3)

    def table(title, rows, kept, **options):
        return Table(
            title,
            [*labels[kept], *headers],
            [[*names(row)[kept], *cells(row)] for row in rows],
            labels=len(labels[kept]),
            **options,
        )

    return Section(
        title="365承诺完成与走访覆盖情况",
        tables=[
            table("按镇（街道）", result["towns"], town_names),
            table("按党组织", shown, branch_names, row_count=len(branches) if screen else None),
        ],
        note=f"党员按 {result['on']:%Y-%m-%d} 所在党组织计；承诺完成数计至该日；"
        "走访覆盖率 = 本季度已走访的结对 / 需走访的结对。",
    )


def completion_download(request, section, heading, period, kind):
    content = section_csv(section, heading) if kind == "csv" else report_xlsx([section], heading)
    return download(
        request,
        content,
        filename=f"365承诺完成情况-{period.label}.{kind}",
        what=f"365承诺完成情况：{heading}",
        rows=sum(len(table.rows) for table in section.tables),
    )


class PairedYearFilter(ShortfallFilter):
    title = "未结对（年度）"
    parameter_name = "unpaired"

    def shortfall(self, queryset, year, on):
        return queryset.unpaired(year, on)


class QuarterVisitsFilter(admin.SimpleListFilter):
    """Rows of a quarter's visit coverage ("2026-4"), judged on the quarter's reference day (its
    last day once over) as the reports count them. A quarter older than the sidebar's choices (a
    past year's report links it) is shown as chosen; a malformed one is the list's "incorrect
    lookup", not every row under the filter's title."""

    def _quarter(self):
        quarter = quarter_parameter(self.value())
        if quarter is None:
            raise IncorrectLookupParameters(f"季度无效：{self.value()}")
        return quarter

    def lookups(self, request, model_admin):
        choices = quarter_choices(_today())
        if self.value() is not None and self.value() not in dict(choices):
            choices.append((self.value(), self._quarter().label))
        return choices

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        quarter = self._quarter()
        return self.counted(queryset, quarter, reference_day(quarter, _today()))

    def counted(self, queryset, quarter, on):
        raise NotImplementedError


class UnvisitedFilter(QuarterVisitsFilter):
    title = "本季度未走访"
    parameter_name = "unvisited"

    def counted(self, queryset, quarter, on):
        return queryset.unvisited(quarter.start, quarter.end, on)


class VisitDueFilter(QuarterVisitsFilter):
    title = "需走访（季度）"
    parameter_name = "visit_due"

    def counted(self, queryset, quarter, on):
        return queryset.due_visit(quarter, on)


class VisitedFilter(QuarterVisitsFilter):
    title = "已走访（季度）"
    parameter_name = "visited"

    def counted(self, queryset, quarter, on):
        return queryset.visited(quarter, on)


class NotVisitedFilter(QuarterVisitsFilter):
    title = "未走访（季度）"
    parameter_name = "not_visited"

    def counted(self, queryset, quarter, on):
        return queryset.not_visited(quarter, on)


@admin.register(Household)
class HouseholdAdmin(ExportOnly, ImportExportAdmin):
    resource_classes = [HouseholdResource]
    list_display = [
        "head",
        "masked_head_id_number",
        "organization",
        "village",
        "hardship",
        "size",
        "masked_contact",
        "status",
        "pairing_count",
    ]
    list_filter = [
        TownFilter,
        "status",
        HelpedFilter,
        "hardship",
        PairedYearFilter,
        UnvisitedFilter,
        HouseholdQualityFilter,
    ]
    list_select_related = ["organization"]
    search_fields = ["head", "village", "address"]
    autocomplete_fields = ["organization"]
    ordering = ["organization__path", "village", "head", "pk"]

    def get_queryset(self, request):
        # A household may be paired with a member of another town, whose pairing that town's
        # secretary cannot list: counted apart, so that the number shown links to exactly the
        # pairings it counts (`pairing_count`).
        # A user who may not list pairings at all gets the year's number, unlinked.
        year_of = Q(pairings__year=_today().year)
        listed = year_of
        may_list = has_model_permission(request.user, Pairing)
        if may_list and not sees_whole_district(request.user):
            listed &= Q(pairings__in=Pairing.objects.visible_to(request.user).values("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                paired_total=Count("pairings", filter=year_of),
                paired_listed=Count("pairings", filter=listed),
                may_list_pairings=Value(may_list),
            )
        )

    @admin.display(description="本年结对党员", ordering="paired_listed")
    def pairing_count(self, obj):
        """The year's pairings the user may list, linked to that list, and how many more there
        are with members outside their organization's subtree (the district's agencies pair
        with households in every town): "2（另有辖区外党员 1 名）", or "辖区外党员 1 名" alone.
        Without the permission to list pairings, the year's number alone."""
        listed, outside = obj.paired_listed, obj.paired_total - obj.paired_listed
        if not obj.may_list_pairings:
            return str(obj.paired_total)
        if not listed:
            return f"辖区外党员 {outside} 名" if outside else "0"
        url = changelist_url(Pairing, household__id__exact=obj.pk, year__exact=_today().year)
        shown = format_html('<a href="{}">{}</a>', url, listed)
        return format_html("{}（另有辖区外党员 {} 名）", shown, outside) if outside else shown


class VisitInline(ScopedAdminMixin, admin.TabularInline):
    """A pairing's visits, logged as on the visit form: the date defaults to today."""

    model = Visit
    form = VisitForm
    extra = 0
    fields = ["visited_on", "action"]


@admin.register(Pairing)
class PairingAdmin(ExportOnly, ImportExportAdmin):
    resource_classes = [PairingResource]
    list_display = ["member", "household", "year", "visit_count", "last_visit"]
    list_filter = [YearFilter, VisitDueFilter, VisitedFilter, NotVisitedFilter, PairingQualityFilter]
    list_select_related = ["member", "household"]
    search_fields = ["member__name", "household__head", "household__village"]
    person_search_fields = ("member__name",)
    autocomplete_fields = ["member", "household"]
    # Stated here: Meta.ordering does not apply to the annotated (GROUP BY) queryset.
    ordering = ["-year", "member__name", "pk"]
    inlines = [VisitInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("member", "household")
            .annotate(visit_total=Count("visits"), visited_last=Max("visits__visited_on"))
        )

    @admin.display(description="走访次数", ordering="visit_total")
    def visit_count(self, obj):
        return obj.visit_total

    @admin.display(description="最近走访", ordering="visited_last")
    def last_visit(self, obj):
        return obj.visited_last or "—"


@admin.register(Visit)
class VisitAdmin(ExportOnly, ImportExportAdmin):
    """Logging a visit: pick the pairing (type a name), the date defaults to today."""

    form = VisitForm
    resource_classes = [VisitResource]
    list_display = ["visited_on", "member", "household", "action"]
    list_filter = ["visited_on"]
    list_select_related = ["pairing__member", "pairing__household"]
    search_fields = ["pairing__member__name", "pairing__household__head", "action"]
    person_search_fields = ("pairing__member__name",)
    text_search_fields = ("pairing__household__head", "action")
    autocomplete_fields = ["pairing"]
    # No date_hierarchy: its year and month links scan every visit on each view.
    show_full_result_count = False

    @admin.display(description="党员", ordering="pairing__member__name")
    def member(self, obj):
        return obj.pairing.member

    @admin.display(description="困难家庭", ordering="pairing__household__head")
    def household(self, obj):
        return obj.pairing.household


@admin.register(Fulfilment)
class FulfilmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["done_on", "member", "kind", "enterprise", "talent", "action"]
    list_filter = ["kind", "done_on"]
    list_select_related = ["pledge__member", "talent"]
    search_fields = ["pledge__member__name", "enterprise", "talent__name", "action"]
    person_search_fields = (
        "pledge__member__name",
        "talent__name",
    )
    text_search_fields = ("enterprise", "action")
    autocomplete_fields = ["pledge", "talent", "support_request", "project"]
    # A support request and a project of the talent served (Fulfilment.clean refuses others).
    choices_follow = {
        "support_request": ("talent", narrowed_by("talent")),
        "project": ("talent", narrowed_by("talents")),
    }
    # No date_hierarchy: its year and month links scan every record on each view.
    show_full_result_count = False

    @admin.display(description="党员", ordering="pledge__member__name")
    def member(self, obj):
        return obj.pledge.member


@admin.register(CheckItem)
class CheckItemAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    """The items of the health check and of the venue standard, and how each is judged."""

    list_display = ["name", "standard", "criterion", "max_score", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["standard", "is_active"]
    search_fields = ["name", "criterion"]


class HealthCheckScoreInline(ScopedAdminMixin, admin.TabularInline):
    model = HealthCheckScore
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "item":
            kwargs["queryset"] = CheckItem.objects.filter(is_active=True, standard=CheckItem.Standard.HEALTH_CHECK)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(HealthCheck)
class HealthCheckAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["organization", "period", "checked_on", "checker", "result", "total_score"]
    list_filter = ["result", TownFilter]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "checker"]
    autocomplete_fields = ["organization"]
    ordering = ["-period_end", "organization__path", "pk"]
    inlines = [HealthCheckScoreInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(score_total=Sum("scores__score"))

    @admin.display(description="体检期间", ordering="period_end")
    def period(self, obj):
        return f"{obj.period_start:%Y-%m-%d} 至 {obj.period_end:%Y-%m-%d}"

    @admin.display(description="总分", ordering="score_total")
    def total_score(self, obj):
        return obj.score_total if obj.score_total is not None else "—"
