"""The portal's admin site: the dashboard is its first page, and the reports live under it."""

from functools import lru_cache

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.signals import setting_changed
from django.http import JsonResponse
from django.urls import get_script_prefix, get_urlconf, path, reverse

from xiangcheng.replicas import reads_from_replica, writes_accounts_only
from xiangcheng.validators import is_key


def choice_label(model_admin, obj) -> str:
    """How a picker names `obj`: its admin's `choice_label` (a person with their branch: two 王静
    of one town are told apart), else the record's own name."""
    label = getattr(model_admin, "choice_label", None)
    return label(obj) if label is not None else str(obj)


def narrowed_by(lookup: str):
    """A `choices_follow` narrowing: the choices whose `lookup` is the followed field's value (a
    support request's `talent`), all of them while it is empty."""

    def narrow(queryset, value):
        return queryset if value is None else queryset.filter(**{lookup: value})

    return narrow


def choices_follow(admin_site, field):
    """(the name of the field whose value narrows the choices of the relation `field`, and the
    narrowing: (queryset, value or None) -> queryset), as the admin of `field`'s model declares
    it in `choices_follow` ({field name: (followed field, narrowing)}), or None. A picker
    following a field sends its value as the user types (forward.js), so it offers only what
    fits the choice above it (a fulfilment's 人才诉求, those of the 服务人才 chosen); the form's
    own rules still refuse a mismatch. Its inline rows on another record's page follow the same
    rule, and a row follows the page's record itself (a grid's roles on the grid's page)."""
    model_admin = admin_site._registry.get(field.model)
    return getattr(model_admin, "choices_follow", {}).get(field.name)


class PortalAutocompleteView(AutocompleteJsonView):
    """Django's picker answers, each named by `choice_label` (what that reads, its admin's
    `choice_related`, fetched with the rows), narrowed to what fits the field the picker follows
    (`choices_follow`: its value comes as a parameter of its own name, and is ignored unless it
    could be a key of that field)."""

    def get_queryset(self):
        related = getattr(self.model_admin, "choice_related", ())
        queryset = super().get_queryset()
        follow = choices_follow(self.admin_site, self.source_field)
        if follow is not None:
            followed, narrow = follow
            value = self.request.GET.get(followed, "")
            key = self.source_field.model._meta.get_field(followed).target_field
            queryset = narrow(queryset, value if value and is_key(key, value) else None)
        return queryset.select_related(*related) if related else queryset

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": choice_label(self.model_admin, obj)}


class PortalAdminSite(admin.AdminSite):
    site_header = "相城区党建生态管理平台"
    site_title = "相城区党建生态管理平台"
    index_title = "工作台"
    # The portal is the admin; "view site" would lead back here.
    site_url = None
    index_template = "admin/dashboard.html"

    def has_permission(self, request):
        """Staff who have also taken the second sign-in step where they must (xiangcheng/secondfactor.py);
        signing out needs no second step."""
        from xiangcheng.secondfactor import second_factor_pending

        if not super().has_permission(request):
            return False
        return request.path == reverse("admin:logout", current_app=self.name) or not second_factor_pending(request)

    @writes_accounts_only
    def login(self, request, extra_context=None):
        return super().login(request, extra_context)

    @reads_from_replica
    def index(self, request, extra_context=None):
        from xiangcheng.views import dashboard_context

        return super().index(request, {**dashboard_context(request), **(extra_context or {})})

    def autocomplete_view(self, request):
        # A NUL byte cannot travel to PostgreSQL: such a term simply finds nothing.
        if "\x00" in request.GET.get("term", ""):
            return JsonResponse({"results": [], "pagination": {"more": False}})
        return PortalAutocompleteView.as_view(admin_site=self)(request)

    def get_urls(self):
        from xiangcheng import views

        return [
            path("reports/quarterly/", self.admin_view(views.quarterly_report), name="quarterly_report"),
            path("reports/quarterly/close/", self.admin_view(views.close_report), name="close_report"),
            path("reports/closed/<int:pk>/reopen/", self.admin_view(views.reopen_report), name="reopen_report"),
            path(
                "reports/closed/<int:pk>/<str:kind>/",
                self.admin_view(views.closed_report_file),
                name="closed_report_file",
            ),
            path("reports/quality/", self.admin_view(views.data_quality), name="data_quality"),
            path("organizations/choices/", self.admin_view(views.organization_choices), name="organization_choices"),
            path("figures/ready/", self.admin_view(views.figures_ready), name="figures_ready"),
            *super().get_urls(),
        ]


def reverse_once(viewname, urlconf=None, args=None, kwargs=None, current_app=None, **more):
    """`reverse`, each address resolved once per URLconf and script prefix, which are all it
    depends on. The admin's side menu resolves two per model and one per app on every page, 124
    (8 ms of a list's 40; installed as the admin site module's `reverse`, xiangcheng/apps.py); a
    report's tables link their lists from thousands of cells (`reports.changelist_url`)."""
    if args or more:
        return reverse(viewname, urlconf, args, kwargs, current_app, **more)
    urlconf = urlconf or get_urlconf() or settings.ROOT_URLCONF
    return _reversed(viewname, urlconf, tuple(sorted((kwargs or {}).items())), current_app, get_script_prefix())


@lru_cache(maxsize=2048)
def _reversed(viewname, urlconf, kwargs, current_app, prefix):
    return reverse(viewname, urlconf, kwargs=dict(kwargs) or None, current_app=current_app)


def _forget_reversed(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()


# When Django forgets its resolved URLs (a test's URLconf), so does `reverse_once`.
setting_changed.connect(_forget_reversed, dispatch_uid="xiangcheng.sites.forget_reversed")
