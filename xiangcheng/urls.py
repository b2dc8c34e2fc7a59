from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from xiangcheng.views import healthz

admin.site.site_header = "相城区党建生态管理平台"
admin.site.site_title = "相城区党建生态管理平台"
admin.site.index_title = "工作台"
# The portal is the admin; "view site" would lead back here.
admin.site.site_url = None

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
