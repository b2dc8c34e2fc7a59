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
    # Members, pledges, pairings and visits of their subtree: they are the first responsible person.
    "members.view_member",
    "members.add_member",
    "members.change_member",
    "members.view_membertransfer",
    "members.view_memberrecognition",
    "members.add_memberrecognition",
    "members.change_memberrecognition",
    "members.delete_memberrecognition",
    "members.view_pledge",
    "members.add_pledge",
    "members.change_pledge",
    "members.view_fulfilment",
    "members.add_fulfilment",
    "members.change_fulfilment",
    "members.delete_fulfilment",
    "members.view_household",
    "members.add_household",
    "members.change_household",
    "members.view_pairing",
    "members.add_pairing",
    "members.change_pairing",
    "members.delete_pairing",
    "members.view_visit",
    "members.add_visit",
    "members.change_visit",
    "members.delete_visit",
    "members.view_healthcheck",
    "members.view_healthcheckscore",
    "members.view_checkitem",
    # Action branches (branches): a secretary logs and edits the service actions of the action
    # branches hosted in their subtree, with photos and documents, and follows the rest read-only.
    "branches.view_serviceaction",
    "branches.add_serviceaction",
    "branches.change_serviceaction",
    "branches.view_serviceattachment",
    "branches.add_serviceattachment",
    "branches.change_serviceattachment",
    "branches.delete_serviceattachment",  # a wrong photo can be taken off again
    "branches.view_actionbranch",
    "branches.view_brand",
    "branches.view_secretaryproject",
    "branches.view_projectmilestone",
    "branches.view_projectprogress",
    "branches.view_instructor",
    "branches.view_instructorassignment",
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
