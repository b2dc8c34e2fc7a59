from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from xiangcheng.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
