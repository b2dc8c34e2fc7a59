from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from xiangcheng.views import import_progress

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # GET /healthz is answered by xiangcheng.middleware.HealthCheckMiddleware, before any URL.
    path("import-progress", import_progress, name="import_progress"),
    path("admin/", admin.site.urls),
]
