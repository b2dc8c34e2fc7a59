from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from xiangcheng import secondfactor
from xiangcheng.views import import_progress

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # GET /healthz is answered by xiangcheng.middleware.HealthCheckMiddleware, before any URL.
    path("import-progress", import_progress, name="import_progress"),
    path("admin/second-factor/", secondfactor.verify, name="second_factor"),
    path("admin/second-factor/setup/", secondfactor.setup, name="second_factor_setup"),
    path("admin/second-factor/recovery-codes/", secondfactor.recovery_codes, name="second_factor_recovery_codes"),
    path("admin/", admin.site.urls),
]
