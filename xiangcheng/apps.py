from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class XiangchengConfig(AppConfig):
    name = "xiangcheng"
    verbose_name = "平台"
    # Two configs live in this module; this one is the app's.
    default = True


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (xiangcheng/sites.py) as `admin.site`."""

    default = False
    default_site = "xiangcheng.sites.PortalAdminSite"
