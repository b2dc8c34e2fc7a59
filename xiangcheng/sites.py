"""The portal's admin site: the dashboard is its first page, and the reports live under it."""

from django.contrib import admin
from django.urls import path


class PortalAdminSite(admin.AdminSite):
    site_header = "相城区党建生态管理平台"
    site_title = "相城区党建生态管理平台"
    index_title = "工作台"
    # The portal is the admin; "view site" would lead back here.
    site_url = None
    index_template = "admin/dashboard.html"

    def index(self, request, extra_context=None):
        from xiangcheng.views import dashboard_context

        return super().index(request, {**dashboard_context(request), **(extra_context or {})})

    def get_urls(self):
        from xiangcheng import views

        return [
            path("reports/quarterly/", self.admin_view(views.quarterly_report), name="quarterly_report"),
            path("reports/quarterly/close/", self.admin_view(views.close_report), name="close_report"),
            path("reports/closed/<int:pk>/reopen/", self.admin_view(views.reopen_report), name="reopen_report"),
            path("reports/quality/", self.admin_view(views.data_quality), name="data_quality"),
            *super().get_urls(),
        ]
