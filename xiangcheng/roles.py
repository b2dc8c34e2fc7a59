"""The two roles, as groups with their permissions. `sync_roles` makes the groups match this file
exactly; it runs after every `migrate` (a post_migrate receiver, connected in
XiangchengConfig.ready()), so a new model's permissions reach the roles without a migration of
their own."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

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
    # The fund's investments in their projects (the fund itself is the district's).
    "talent.view_investment",
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
    # Party-mass service venues of their subtree: they keep the venues and their photos, read the
    # inspections, and record how each failed item was put right (the due date is the inspectors').
    "members.view_venue",
    "members.add_venue",
    "members.change_venue",
    "members.view_venuephoto",
    "members.add_venuephoto",
    "members.change_venuephoto",
    "members.delete_venuephoto",  # a wrong photo can be taken off again
    "members.view_venueinspection",
    "members.view_venueinspectionitem",
    "members.view_rectification",
    "members.change_rectification",
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
    "branches.view_committeeterm",  # when their committee was elected and its term ends
    # Grids (branches): a secretary follows the grids, general social workers and their
    # assignments in their subtree, keeps who holds which role in its grids (the party members
    # living there above all) and logs the grids' problems (民情日志).
    "branches.view_grid",
    "branches.view_gridrole",
    "branches.add_gridrole",
    "branches.change_gridrole",
    "branches.delete_gridrole",
    "branches.view_gridlogentry",
    "branches.add_gridlogentry",
    "branches.change_gridlogentry",
    "branches.view_socialworker",
    "branches.view_socialworkerassignment",
    "xiangcheng.import_data",
    "xiangcheng.export_data",
]


# The apps whose permissions the roles name.
ROLE_APPS = sorted({*DISTRICT_APPS, *(name.split(".")[0] for name in [*DISTRICT_EXTRA, *SECRETARY_PERMISSIONS])})


def sync_roles(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create every app's permissions, then give each role exactly the permissions listed here.
    `apps` is a registry of models: the project's, or the migrated state post_migrate hands over."""
    # contrib.auth creates an app's permissions on that app's post_migrate; this runs on this
    # app's, before the apps after it have theirs.
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(using).filter(content_type__app_label__in=ROLE_APPS)
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permissions.values_list("pk", "content_type__app_label", "codename")
    }
    unknown = sorted({*DISTRICT_EXTRA, *SECRETARY_PERMISSIONS} - set(by_name))
    if unknown:
        raise LookupError(f"xiangcheng/roles.py names permissions that do not exist: {', '.join(unknown)}")
    district_apps = tuple(f"{app_label}." for app_label in DISTRICT_APPS)
    district = [pk for name, pk in by_name.items() if name.startswith(district_apps)]
    roles = {
        DISTRICT_STAFF: {*district, *(by_name[name] for name in DISTRICT_EXTRA)},
        SECRETARY: {by_name[name] for name in SECRETARY_PERMISSIONS},
    }
    for name, wanted in roles.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver. Skipped while the database stands before some migration of an app
    the roles name (a `migrate <app> <older>`): the permissions of models it lacks cannot be
    given, and the next full migrate gives them."""
    for app_label in ROLE_APPS:
        for model in global_apps.get_app_config(app_label).get_models():
            try:
                apps.get_model(model._meta.label)
            except LookupError:
                return
    sync_roles(apps, using)
