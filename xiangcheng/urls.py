from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from xiangcheng.views import healthz, import_progress

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("import-progress", import_progress, name="import_progress"),
    path("admin/", admin.site.urls),
]
