"""The two roles, as groups with their permissions. Data migrations call `sync_roles` whenever
a new model brings permissions; it makes the groups match this file exactly."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

DISTRICT_STAFF = "组织部"
SECRETARY = "支部书记"

# Apps whose every model permission district staff hold.
DISTRICT_APPS = ["branches", "talent", "members", "cadres"]
DISTRICT_EXTRA = [
    "branches.view_all_organizations",
    "xiangcheng.view_full_numbers",
    "xiangcheng.import_data",
    "xiangcheng.export_data",
    "xiangcheng.view_accesslog",
    "xiangcheng.view_target",
    "xiangcheng.add_target",
    "xiangcheng.change_target",
    "xiangcheng.delete_target",
    "xiangcheng.view_targetmilestone",
    "xiangcheng.add_targetmilestone",
    "xiangcheng.change_targetmilestone",
    "xiangcheng.delete_targetmilestone",
    # Quarterly reports: closing and reopening a quarter is the district's call.
    "xiangcheng.view_closedreport",
    "xiangcheng.close_report",
]
# A secretary works inside their subtree: sees its organizations, manages its records.
SECRETARY_PERMISSIONS = [
    "branches.view_organization",
    # Talents their organizations answer for, read-only.
    "talent.view_talent",
    "talent.view_talenthonour",
    "talent.view_supportrequest",
    "talent.view_overseasplacement",
    "talent.view_talentproject",
    "talent.view_projectstagechange",
    "xiangcheng.import_data",
    "xiangcheng.export_data",
]


def sync_roles(apps, schema_editor=None) -> None:
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def lookup(names):
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return permissions

    district, _ = Group.objects.get_or_create(name=DISTRICT_STAFF)
    district.permissions.set(
        [*Permission.objects.filter(content_type__app_label__in=DISTRICT_APPS), *lookup(DISTRICT_EXTRA)]
    )
    secretary, _ = Group.objects.get_or_create(name=SECRETARY)
    secretary.permissions.set(lookup(SECRETARY_PERMISSIONS))
