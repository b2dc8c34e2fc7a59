from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules

from xiangcheng import chinese
from xiangcheng.dbroles import secure_schema_after_migrate
from xiangcheng.roles import sync_roles_after_migrate
from xiangcheng.snapshots import begin_request, empty_store_after_migrate, end_request
from xiangcheng.validators import install_date_range


class XiangchengConfig(AppConfig):
    name = "xiangcheng"
    verbose_name = "平台"
    # Two configs live in this module; this one is the app's.
    default = True

    def ready(self):
        # Every date a person types lies between 1900 and 2100 (xiangcheng/validators.py).
        install_date_range()
        # As contrib.auth creates permissions: after every migrate (and flush), the roles are made
        # to match xiangcheng/roles.py, with the permissions of every model.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="xiangcheng.roles.sync_roles")
        # The portal's database role may add audit rows, never change them (xiangcheng/dbroles.py).
        post_migrate.connect(secure_schema_after_migrate, sender=self, dispatch_uid="xiangcheng.dbroles.secure")
        # Stored figures are computed afresh after a release (xiangcheng/snapshots.py).
        post_migrate.connect(empty_store_after_migrate, sender=self, dispatch_uid="xiangcheng.snapshots.empty")
        # Which figures a page shows as last computed, and computes again once it is sent.
        request_started.connect(begin_request, dispatch_uid="xiangcheng.snapshots.begin_request")
        request_finished.connect(end_request, dispatch_uid="xiangcheng.snapshots.end_request")


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (xiangcheng/sites.py) as `admin.site`."""

    default = False
    default_site = "xiangcheng.sites.PortalAdminSite"

    def ready(self):
        # Each app's report sections, data-quality checks and target rules live in its `reports`
        # module and register as it is imported. Imported here, before the admin modules (which
        # import some of them), so they register in INSTALLED_APPS order: the order of the
        # data-quality page and of the target rules' choices.
        autodiscover_modules("reports")
        super().ready()
        # What Django's admin hard-codes in English (xiangcheng/chinese.py).
        chinese.install()
        # A read-only field links only a record its user may open; a list refuses a filter value
        # it cannot apply instead of answering 500 (xiangcheng/admin.py).
        from django.contrib.admin.helpers import AdminReadonlyField
        from django.contrib.admin.options import ModelAdmin
        from django.contrib.admin.views.main import ChangeList

        from xiangcheng.admin import action_checkbox, guarded_list_filters, readonly_link

        AdminReadonlyField.get_admin_url = readonly_link
        ChangeList.get_filters = guarded_list_filters
        # A list row's checkbox written at once, not through the template engine.
        ModelAdmin.action_checkbox = action_checkbox
        # The side menu of every admin page reverses each address once (xiangcheng/sites.py).
        from django.contrib.admin import sites

        from xiangcheng.sites import reverse_once

        sites.reverse = reverse_once
