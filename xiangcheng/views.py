import functools
from datetime import date

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from xiangcheng import progress, snapshots
from xiangcheng.downloads import download
from xiangcheng.forms import ReportForm
from xiangcheng.models import ClosedReport, Target
from xiangcheng.quality import run_checks
from xiangcheng.replicas import reads_from_replica
from xiangcheng.reports import Report, chart_data, load_report
from xiangcheng.scoping import has_model_permission, has_scope, visible
from xiangcheng.services import report_close, report_reopen
from xiangcheng.snapshots import (
    FiguresPending,
    computing,
    figures,
    snapshot_key,
)
from xiangcheng.targets import actual_url, progress_list, target_actuals
from xiangcheng.todos import stored_todos, todo_items

NO_SCOPE = "您的账号尚未分配负责组织，暂无可显示的数据。请联系组织部。"


@never_cache
@require_GET
def healthz(request):
    """Answer 200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
@login_required
def import_progress(request):
    """How far the caller's import under ?token= is (xiangcheng/progress.py), polled by the
    import page's script; 404 for a token of anyone else, or one that has not reported yet."""
    found = progress.read(request.user, request.GET.get("token", ""))
    if found is None:
        return JsonResponse({}, status=404)
    return JsonResponse(found)


# Organizations a picker lists per page of its drop-down.
CHOICES_PER_PAGE = 20


@never_cache
@require_GET
def organization_choices(request):
    """The organization picker's drop-down (`xiangcheng.forms.OrganizationPicker`, select2's
    format): the user's organizations whose name or code holds ?term= (with ?parents=1 only those
    that may have branches), in tree order, a page at a time, so a page holds only the chosen
    organization whatever the size of the tree."""
    Organization = apps.get_model("branches", "Organization")
    term = request.GET.get("term", "").replace("\x00", "").strip()[:50]
    page = request.GET.get("page", "")
    # A page number as select2 sends it; anything else (or past any tree's end) is the first.
    page = int(page) if page.isdecimal() and 0 < int(page) <= 10_000 else 1
    found = Organization.objects.visible_to(request.user)
    if request.GET.get("parents"):
        found = found.exclude(type=Organization.Type.BRANCH)
    if term:
        found = found.filter(Q(name__icontains=term) | Q(code__istartswith=term))
    start = (page - 1) * CHOICES_PER_PAGE
    rows = list(found.order_by("path").values_list("code", "name")[start : start + CHOICES_PER_PAGE + 1])
    return JsonResponse(
        {
            "results": [{"id": code, "text": name} for code, name in rows[:CHOICES_PER_PAGE]],
            "pagination": {"more": len(rows) > CHOICES_PER_PAGE},
        }
    )


def requires_scope(view):
    """A page of the user's numbers: refused, with NO_SCOPE as the reason, to a user who has
    neither the district nor an organization assigned (they would see only zeros)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request = next(arg for arg in args if isinstance(arg, HttpRequest))
        if not has_scope(request.user):
            raise PermissionDenied(NO_SCOPE)
        return view(*args, **kwargs)

    return wrapped


def _period_form(request):
    """The form as asked for, and the period to show: as asked, or with the defaults in place
    of the invalid fields (the form shows their errors)."""
    form = ReportForm(request.GET, user=request.user)
    if form.is_valid():
        return form, form
    valid = {key: value for key, value in request.GET.items() if key in form.fields and key not in form.errors}
    fallback = ReportForm(valid, user=request.user)
    if not fallback.is_valid():
        # The fields that passed may not fit together (a quarter of this year not yet begun,
        # once next year's was refused): the default period, the organization as asked.
        fallback = ReportForm({key: value for key, value in valid.items() if key == "organization"}, user=request.user)
    return form, (fallback if fallback.is_valid() else None)


def _query(period) -> str:
    data = period.cleaned_data
    return urlencode({"year": data["year"], "quarter": data["quarter"], "organization": data["organization"].code})


def _context(request, title, **context):
    return {**admin.site.each_context(request), "title": title, "subtitle": None, **context}


def figures_pending(request, pending: FiguresPending) -> TemplateResponse:
    """The page asked for, while figures it shows are computed for the first time in a thread
    (xiangcheng/snapshots.py, `FiguresPending`): a notice whose script asks `figures_ready` until
    they are, then reloads the page; 202 and never cached, so no server waits for a computation
    over the whole scope."""
    # Only this notice: none of figures shown as they stood (nothing of the page is shown).
    snapshots.forget_lagging()
    response = TemplateResponse(
        request,
        "admin/figures_pending.html",
        _context(
            request,
            "正在计算统计数字",
            reload_after=snapshots.PENDING_RELOAD_SECONDS,
            ready_url=snapshots.ready_url(snapshots.stored_ids(pending.keys)),
        ),
        status=202,
    )
    response["Retry-After"] = str(snapshots.PENDING_RELOAD_SECONDS)
    add_never_cache_headers(response)
    return response.render()


# Figures a notice asks about at most (a dashboard's sections, to-dos and targets are fewer).
READY_IDS_AT_MOST = 50


@never_cache
@require_GET
def figures_ready(request):
    """{"ready": whether the figures a notice waits for (?id=, `snapshots.ready_url`) are computed:
    for the first time (`figures_pending`) or again (figures shown as they stood)}, polled by its
    script (figures.js); 400 for ids that are not numbers."""
    ids = request.GET.getlist("id")
    if (
        not ids
        or len(ids) > READY_IDS_AT_MOST
        or not all(pk.isascii() and pk.isdigit() and len(pk) <= 18 for pk in ids)
    ):
        return JsonResponse({"error": "参数有误。"}, status=400)
    return JsonResponse({"ready": not computing([int(pk) for pk in ids])})


def dashboard_context(request) -> dict:
    """The dashboard above the app list: what falls due in the user's scope today (待办, soonest
    first), then targets, the report's sections as cards and charts, and the lists of what falls
    short, for one quarter and organization (default: now, the top of the user's scope). A fixed
    number of queries whatever the data size."""
    user = request.user
    if not has_scope(user):
        return {"dashboard_message": NO_SCOPE}
    form, period = _period_form(request)
    if period is None:
        return {"dashboard_message": NO_SCOPE}
    data = period.cleaned_data
    today = timezone.localdate()
    # The targets are read each time; their counts are stored with the figures (xiangcheng/snapshots.py).
    targets = list(visible(Target.objects.all(), user))
    key = snapshot_key(user, "target_actuals")
    # The to-dos (xiangcheng/todos.py) are stored beside them: both read back in one go.
    todos_key, todos_compute = stored_todos(user, today)
    try:
        # Bound now: a figure may be computed in another thread (xiangcheng/snapshots.py).
        stored = figures({key: functools.partial(target_actuals, targets, today), todos_key: todos_compute}, day=today)
    except FiguresPending as pending:
        # Computed for the first time: the sections are asked for too, so one thread computes all
        # the page's figures and the notice reloads once into the whole page.
        try:
            load_report(data["year"], data["quarter"], data["organization"], user, dashboard=True, screen=True)
        except FiguresPending as more:
            raise FiguresPending([*pending.keys, *more.keys]) from None
        raise
    report = load_report(data["year"], data["quarter"], data["organization"], user, dashboard=True, screen=True)
    charts, panels = [], []
    for section in report.sections:
        tables = []
        for number, table in enumerate(section.tables):
            if not table.dashboard:
                continue
            chart = chart_data(table)
            if chart is not None:
                chart["id"] = f"chart-{section.key}-{number}"
                charts.append(chart)
            tables.append((table, chart and chart["id"]))
        panels.append({"section": section, "tables": tables})
    # Counted on an earlier day (shown as they stood, dated): their pace and lists are that day's.
    judged_on = date.fromisoformat(stored[key]["on"])
    target_rows = [
        (target, found, actual_url(target, judged_on) if found else "")
        for target, found in progress_list(targets, judged_on, stored[key]["actuals"])
    ]
    return {
        "dashboard": True,
        "period_form": form,
        "report": report,
        "panels": panels,
        "charts": charts,
        "shortfalls": [figure for section in report.sections for figure in section.figures if figure.shortfall],
        "quick_actions": quick_actions(user),
        "todos": todo_items(stored[todos_key], today),
        "targets": target_rows,
        "report_query": _query(period),
    }


# What a secretary logs most, often on a phone: first on the dashboard, for whoever may add it.
QUICK_ACTIONS = [
    ("记录服务", "branches.add_serviceaction", "admin:branches_serviceaction_add"),
    ("记录走访", "members.add_visit", "admin:members_visit_add"),
]


def quick_actions(user) -> list[tuple[str, str]]:
    """(label, url) of the dashboard's quick entries the user may use."""
    return [(label, reverse(url)) for label, permission, url in QUICK_ACTIONS if user.has_perm(permission)]


def _download(request, report, kind):
    if not request.user.has_perm("xiangcheng.export_data"):
        raise PermissionDenied
    content, extension = (report.xlsx(), "xlsx") if kind == "xlsx" else (report.csv_zip(), "zip")
    what = f"季度报表：{report.heading}" + ("（已关闭，存档文件）" if report.closed else "")
    rows = sum(len(table.rows) for section in report.sections for table in section.tables)
    return download(request, content, filename=report.filename(extension), what=what, rows=rows)


def closed_report_file(request, pk, kind):
    """The files a quarter's closing stored, as they were sent upward: also once it has been
    reopened (and perhaps closed again), when the live report no longer serves them."""
    if not has_model_permission(request.user, ClosedReport):
        raise PermissionDenied
    if kind not in ("xlsx", "csv"):
        raise Http404
    closed = get_object_or_404(
        ClosedReport.objects.visible_to(request.user).select_related("organization").defer("xlsx", "csv_zip"), pk=pk
    )
    return _download(request, Report.of_closed(closed), kind)


@reads_from_replica
@requires_scope
def quarterly_report(request):
    """The quarterly report on screen (?format=xlsx or csv downloads it) for a quarter and an
    organization within the user's scope. A closed quarter shows and serves what was stored."""
    form, period = _period_form(request)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        kind = request.GET.get("format")
        wanted = kind in ("xlsx", "csv")
        report = load_report(data["year"], data["quarter"], data["organization"], request.user, screen=not wanted)
        if wanted:
            return _download(request, report, kind)
    user = request.user
    context = _context(
        request,
        "季度报表",
        period_form=form,
        report=report,
        report_query=_query(form) if report else "",
        can_download=user.has_perm("xiangcheng.export_data"),
        can_close=user.has_perm("xiangcheng.close_report"),
        quarter_ended=report is not None and report.end < timezone.localdate(),
    )
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/reports/quarterly.html", context)


# Not read from a replica: the stored report is counted on the primary, as of the closing.
@require_POST
def close_report(request):
    if not request.user.has_perm("xiangcheng.close_report"):
        raise PermissionDenied
    form = ReportForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "请选择有效的年度、季度和组织。")
        return HttpResponseRedirect(reverse("admin:quarterly_report"))
    data = form.cleaned_data
    try:
        closed = report_close(
            year=data["year"], quarter=data["quarter"], organization=data["organization"], acting_user=request.user
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已关闭{closed}的季度报表。此后对数据的修改不会改变该报表；如需更正，请先重新开放。")
    return HttpResponseRedirect(f"{reverse('admin:quarterly_report')}?{_query(form)}")


def reopen_report(request, pk):
    """Reopen a closed quarter, after a confirmation page asking why."""
    if not request.user.has_perm("xiangcheng.close_report"):
        raise PermissionDenied
    closed = get_object_or_404(ClosedReport.objects.visible_to(request.user).defer("xlsx", "csv_zip"), pk=pk)
    back = f"{reverse('admin:quarterly_report')}?" + urlencode(
        {"year": closed.year, "quarter": closed.quarter, "organization": closed.organization.code}
    )
    if closed.reopened_at is not None:
        raise Http404("该季度报表已经重新开放。")
    error = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        if not reason:
            error = "请填写重新开放的原因。"
        else:
            report_reopen(closed_report=closed, reason=reason[:200], acting_user=request.user)
            messages.success(request, f"已重新开放{closed}的季度报表，报表将按当前数据重新统计。")
            return HttpResponseRedirect(back)
    context = _context(request, "重新开放季度报表", closed=closed, back=back, error=error)
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/reports/reopen_confirm.html", context)


@reads_from_replica
@requires_scope
def data_quality(request):
    """The registered data-quality checks, counted within the user's scope."""
    context = _context(request, "数据质量", results=run_checks(request.user))
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/reports/quality.html", context)
