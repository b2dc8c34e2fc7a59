"""What every admin page answers each role, exactly, from the tables below: the changelist, the
add page and the change pages of a row of town A and of town B for every registered admin, and
every custom page. Town A is the secretary's; town B is outside their scope.

The answers: 200 the page, 302 a redirect to the login page, 403 refused (no permission), 404 not
found (the row is outside the user's scope), 405 a page that only answers a POST.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse

from tests import clock
from tests.factories import UserFactory
from tests.xiangcheng.portal import Page, admin_pages, custom_url_names, is_post_only, row_set
from xiangcheng.roles import SECRETARY, SECRETARY_PERMISSIONS
from xiangcheng.scoping import is_scoped
from xiangcheng.secondfactor import complete_test_sign_in

REGISTRY = sorted(admin.site._registry, key=lambda model: model._meta.label)
# A user with no role; a secretary whose account has no organization yet; the secretary of town A;
# district staff.
ROLES = ["outsider", "unassigned", "secretary_a", "staff"]
# Every admin page sends an anonymous visitor to the login page.
ANONYMOUS = "302"
# The pages only read: the rows and the signed-in clients are made once for the module.
pytestmark = pytest.mark.django_db

# The pages of each admin, in this order: changelist, add, change of town A's row, change of town
# B's row. Rows of a model that belongs to no organization answer alike in both towns.
MODEL_PAGES = {
    # model: (outsider, unassigned, secretary_a, staff)
    "auth.Group": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "403 403 403 403"),
    "auth.User": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "403 403 403 403"),
    "branches.ActionBranch": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.Brand": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.CommitteeTerm": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.Grid": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.GridLogEntry": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "branches.GridRole": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "branches.Instructor": ("403 403 403 403", "200 403 200 200", "200 403 200 200", "200 200 200 200"),
    "branches.InstructorAssignment": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.Organization": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.SecretaryProject": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.ServiceAction": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "branches.SocialWorker": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "branches.SocialWorkerAssignment": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "cadres.AnnualEvaluation": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.Assessment": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.AssessmentDimension": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.Cadre": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.CadreStatistics": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 403 200 200"),
    "cadres.PracticePosting": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.RankChange": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.ReserveEntry": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "cadres.TrainingClass": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "members.CheckItem": ("403 403 403 403", "200 403 200 200", "200 403 200 200", "200 200 200 200"),
    "members.Fulfilment": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "members.HealthCheck": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "members.Household": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "members.Member": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "members.Pairing": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "members.Pledge": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    # Rectifications are made by inspections: no one adds one on its own.
    "members.Rectification": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 403 200 200"),
    "members.Venue": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "members.VenueInspection": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "members.Visit": ("403 403 403 403", "200 200 404 404", "200 200 200 404", "200 200 200 200"),
    "talent.Fund": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "talent.FundingProgramme": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "talent.Honour": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "talent.Industry": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "talent.Investment": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "talent.ProjectStageChange": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "talent.RecruitmentBrand": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "talent.RecruitmentEvent": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "talent.SupportRequest": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "talent.Talent": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "talent.TalentProject": ("403 403 403 403", "200 403 404 404", "200 403 200 404", "200 200 200 200"),
    "talent.Zone": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
    "xiangcheng.AccessLog": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 403 200 200"),
    "xiangcheng.ClosedReport": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 403 200 200"),
    # Everyone's own inbox; the rows here are another account's messages: not found for anyone.
    "xiangcheng.Message": ("200 403 404 404", "200 403 404 404", "200 403 404 404", "200 403 404 404"),
    "xiangcheng.Target": ("403 403 403 403", "403 403 403 403", "403 403 403 403", "200 200 200 200"),
}

# Every custom page (xiangcheng/sites.py and each admin's own get_urls); a page about one row
# is asked about town A's row (@A) and town B's (@B). A page of numbers (report, data quality,
# completion, service totals) refuses a user without any organization assigned ("unassigned"),
# as every page of the kind does (xiangcheng/views.py requires_scope); lists answer them empty.
CUSTOM_PAGES = {
    # page: (anonymous, outsider, unassigned, secretary_a, staff)
    "index": ("302", "200", "200", "200", "200"),
    "quarterly_report": ("302", "403", "403", "200", "200"),
    "quarterly_report?format=csv": ("302", "403", "403", "200", "200"),
    "quarterly_report?format=xlsx": ("302", "403", "403", "200", "200"),
    "reopen_report@A": ("302", "403", "403", "403", "200"),
    "reopen_report@B": ("302", "403", "403", "403", "200"),
    "closed_report_file@A": ("302", "403", "403", "403", "200"),
    "closed_report_file@B": ("302", "403", "403", "403", "200"),
    "data_quality": ("302", "403", "403", "200", "200"),
    # The picker's drop-down: answers anyone signed in, with the organizations they may see.
    "organization_choices": ("302", "200", "200", "200", "200"),
    # What the figures notice's script asks: whether rows are still computed (nothing of their figures).
    "figures_ready": ("302", "200", "200", "200", "200"),
    # The organization tree's children of a general branch of town A, and of town B.
    "branches_organization_changelist?parent=A01": ("302", "403", "404", "200", "200"),
    "branches_organization_changelist?parent=B01": ("302", "403", "404", "404", "200"),
    # The organization chart: a page of numbers, refused to a user without any organization.
    "branches_organization_chart": ("302", "403", "403", "200", "200"),
    "auth_user_password_change@A": ("302", "403", "403", "403", "403"),
    "auth_user_password_change@B": ("302", "403", "403", "403", "403"),
    "branches_serviceaction_attachment@A": ("302", "404", "404", "200", "200"),
    "branches_serviceaction_attachment@B": ("302", "404", "404", "404", "200"),
    "branches_serviceaction_totals": ("302", "403", "403", "200", "200"),
    "cadres_cadre_archive@A": ("302", "403", "403", "403", "200"),
    "cadres_cadre_archive@B": ("302", "403", "403", "403", "200"),
    "cadres_cadre_approval_form@A": ("302", "403", "403", "403", "200"),
    "cadres_cadre_approval_form@B": ("302", "403", "403", "403", "200"),
    "cadres_cadre_approval_print@A": ("302", "403", "403", "403", "200"),
    "cadres_cadre_approval_print@B": ("302", "403", "403", "403", "200"),
    "cadres_cadrestatistics_export/csv": ("302", "403", "403", "403", "200"),
    "cadres_cadrestatistics_export/xlsx": ("302", "403", "403", "403", "200"),
    "members_pledge_completion": ("302", "403", "403", "200", "200"),
    "members_pledge_completion?download=csv": ("302", "403", "403", "200", "200"),
    "members_pledge_completion?download=xlsx": ("302", "403", "403", "200", "200"),
    "members_venue_photo@A": ("302", "404", "404", "200", "200"),
    "members_venue_photo@B": ("302", "404", "404", "404", "200"),
    "branches_actionbranch_export": ("302", "403", "200", "200", "200"),
    "branches_actionbranch_import": ("302", "403", "403", "403", "200"),
    "branches_actionbranch_import_template": ("302", "403", "403", "403", "200"),
    "branches_committeeterm_export": ("302", "403", "200", "200", "200"),
    "branches_committeeterm_import": ("302", "403", "403", "403", "200"),
    "branches_committeeterm_import_template": ("302", "403", "403", "403", "200"),
    "branches_grid_export": ("302", "403", "200", "200", "200"),
    "branches_grid_import": ("302", "403", "403", "403", "200"),
    "branches_grid_import_template": ("302", "403", "403", "403", "200"),
    "branches_organization_export": ("302", "403", "200", "200", "200"),
    "branches_organization_import": ("302", "403", "403", "403", "200"),
    "branches_organization_import_template": ("302", "403", "403", "403", "200"),
    "branches_serviceaction_export": ("302", "403", "200", "200", "200"),
    "branches_serviceaction_import": ("302", "403", "200", "200", "200"),
    "branches_serviceaction_import_template": ("302", "403", "200", "200", "200"),
    "branches_socialworker_export": ("302", "403", "200", "200", "200"),
    "branches_socialworker_import": ("302", "403", "403", "403", "200"),
    "branches_socialworker_import_template": ("302", "403", "403", "403", "200"),
    "cadres_annualevaluation_export": ("302", "403", "403", "403", "200"),
    "cadres_annualevaluation_import": ("302", "403", "403", "403", "200"),
    "cadres_annualevaluation_import_template": ("302", "403", "403", "403", "200"),
    "cadres_cadre_export": ("302", "403", "403", "403", "200"),
    "cadres_cadre_import": ("302", "403", "403", "403", "200"),
    "cadres_cadre_import_template": ("302", "403", "403", "403", "200"),
    "cadres_practiceposting_export": ("302", "403", "403", "403", "200"),
    "cadres_practiceposting_import": ("302", "403", "403", "403", "200"),
    "cadres_practiceposting_import_template": ("302", "403", "403", "403", "200"),
    "cadres_rankchange_export": ("302", "403", "403", "403", "200"),
    "cadres_rankchange_import": ("302", "403", "403", "403", "200"),
    "cadres_rankchange_import_template": ("302", "403", "403", "403", "200"),
    "members_household_export": ("302", "403", "200", "200", "200"),
    "members_household_import": ("302", "403", "403", "403", "403"),
    "members_household_import_template": ("302", "403", "403", "403", "403"),
    "members_member_export": ("302", "403", "200", "200", "200"),
    "members_member_import": ("302", "403", "200", "200", "200"),
    "members_member_import_template": ("302", "403", "200", "200", "200"),
    "members_pairing_export": ("302", "403", "200", "200", "200"),
    "members_pairing_import": ("302", "403", "403", "403", "403"),
    "members_pairing_import_template": ("302", "403", "403", "403", "403"),
    "members_pledge_export": ("302", "403", "200", "200", "200"),
    "members_pledge_import": ("302", "403", "403", "403", "403"),
    "members_pledge_import_template": ("302", "403", "403", "403", "403"),
    "members_venue_export": ("302", "403", "200", "200", "200"),
    "members_venue_import": ("302", "403", "200", "200", "200"),
    "members_venue_import_template": ("302", "403", "200", "200", "200"),
    "members_visit_export": ("302", "403", "200", "200", "200"),
    "members_visit_import": ("302", "403", "403", "403", "403"),
    "members_visit_import_template": ("302", "403", "403", "403", "403"),
    "talent_investment_export": ("302", "403", "200", "200", "200"),
    "talent_investment_import": ("302", "403", "403", "403", "200"),
    "talent_investment_import_template": ("302", "403", "403", "403", "200"),
    "talent_recruitmentevent_export": ("302", "403", "403", "403", "200"),
    "talent_recruitmentevent_import": ("302", "403", "403", "403", "200"),
    "talent_recruitmentevent_import_template": ("302", "403", "403", "403", "200"),
    "talent_talent_export": ("302", "403", "200", "200", "200"),
    "talent_talent_import": ("302", "403", "403", "403", "200"),
    "talent_talent_import_template": ("302", "403", "403", "403", "200"),
    "talent_talentproject_export": ("302", "403", "200", "200", "200"),
    "talent_talentproject_import": ("302", "403", "403", "403", "200"),
    "talent_talentproject_import_template": ("302", "403", "403", "403", "200"),
    "branches_actionbranch_process_import": ("302", "405", "405", "405", "405"),
    "branches_committeeterm_process_import": ("302", "405", "405", "405", "405"),
    "branches_grid_process_import": ("302", "405", "405", "405", "405"),
    "branches_organization_process_import": ("302", "405", "405", "405", "405"),
    "branches_serviceaction_process_import": ("302", "405", "405", "405", "405"),
    "branches_socialworker_process_import": ("302", "405", "405", "405", "405"),
    "cadres_annualevaluation_process_import": ("302", "405", "405", "405", "405"),
    "cadres_cadre_process_import": ("302", "405", "405", "405", "405"),
    "cadres_practiceposting_process_import": ("302", "405", "405", "405", "405"),
    "cadres_rankchange_process_import": ("302", "405", "405", "405", "405"),
    "close_report": ("302", "405", "405", "405", "405"),
    "members_household_process_import": ("302", "405", "405", "405", "405"),
    "members_member_process_import": ("302", "405", "405", "405", "405"),
    "members_pairing_process_import": ("302", "405", "405", "405", "405"),
    "members_pledge_process_import": ("302", "405", "405", "405", "405"),
    "members_venue_process_import": ("302", "405", "405", "405", "405"),
    "members_visit_process_import": ("302", "405", "405", "405", "405"),
    "talent_investment_process_import": ("302", "405", "405", "405", "405"),
    "talent_recruitmentevent_process_import": ("302", "405", "405", "405", "405"),
    "talent_talent_process_import": ("302", "405", "405", "405", "405"),
    "talent_talentproject_process_import": ("302", "405", "405", "405", "405"),
}


def _answer(client, url: str) -> str:
    response = client.get(url)
    if response.streaming:
        # A download reads its rows as it streams.
        b"".join(response.streaming_content)
    if response.status_code == 302:
        location = response["Location"]
        return "302" if location.startswith(reverse("admin:login")) else f"302 to {location}"
    return str(response.status_code)


def _custom_pages() -> dict[str, tuple[Page, str | None]]:
    """{name in CUSTOM_PAGES: (page, town of the row it is about)}, from the admin site itself."""
    post_only = [Page(name, name) for name in sorted(custom_url_names()) if is_post_only(name)]
    pages = {}
    for page in [*admin_pages(), *post_only]:
        if page.obj:
            pages[f"{page.name}@A"] = (page, "A")
            pages[f"{page.name}@B"] = (page, "B")
        else:
            pages[page.name] = (page, None)
    return pages


PAGES = _custom_pages()


@pytest.fixture(scope="module")
def world(module_tree, tmp_path_factory):
    """A row of every model in town A and in town B (tests/xiangcheng/portal.py); the tests run on
    the day the rows are dated for."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), clock.travel():
        yield {town: row_set(module_tree[f"{town}01"], with_files=True) for town in ("A", "B")}


@pytest.fixture(scope="module")
def clients(module_cast):
    """A signed-in client per role, and an anonymous one."""
    unassigned = UserFactory(username="secretary_unassigned")
    unassigned.groups.add(Group.objects.get(name=SECRETARY))
    people = {**module_cast, "unassigned": unassigned}
    clients = {"anonymous": Client()}
    for role in ROLES:
        clients[role] = Client()
        clients[role].force_login(people[role])
        complete_test_sign_in(clients[role], people[role])
    return clients


def model_urls(model, world) -> list[str]:
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    label = opts.label
    return [
        reverse(f"{prefix}_changelist"),
        reverse(f"{prefix}_add"),
        reverse(f"{prefix}_change", args=[world["A"][label].pk]),
        reverse(f"{prefix}_change", args=[world["B"][label].pk]),
    ]


@pytest.mark.parametrize("model", REGISTRY, ids=lambda model: model._meta.label)
def test_model_pages_answer_each_role_as_the_table_says(world, clients, model):
    urls = model_urls(model, world)
    answers = {role: " ".join(_answer(clients[role], url) for url in urls) for role in ["anonymous", *ROLES]}
    expected = dict(zip(ROLES, MODEL_PAGES[model._meta.label], strict=True))
    assert answers == {"anonymous": " ".join([ANONYMOUS] * len(urls)), **expected}


@pytest.mark.parametrize("name", PAGES)
def test_custom_pages_answer_each_role_as_the_table_says(world, clients, name):
    page, town = PAGES[name]
    url = page.url(world[town or "A"])
    answers = {role: _answer(clients[role], url) for role in ["anonymous", *ROLES]}
    assert answers == dict(zip(["anonymous", *ROLES], CUSTOM_PAGES[name], strict=True))


def test_the_tables_name_every_admin_and_every_custom_page():
    assert sorted(MODEL_PAGES) == sorted(model._meta.label for model in REGISTRY)
    assert sorted(CUSTOM_PAGES) == sorted(PAGES)


def _secretary_views(model) -> bool:
    return f"{model._meta.app_label}.view_{model._meta.model_name}" in SECRETARY_PERMISSIONS


@pytest.mark.parametrize(
    "model",
    # Of the others the secretary may open no page at all (the table says 403).
    [model for model in REGISTRY if is_scoped(model) and _secretary_views(model)],
    ids=lambda model: model._meta.label,
)
def test_secretary_of_a_never_reaches_rows_of_b(world, clients, model):
    """Beyond the change page: delete and history pages, and the list, keep town B's row from the
    secretary of town A, while the list shows town A's."""
    client = clients["secretary_a"]
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    ours, theirs = world["A"][opts.label], world["B"][opts.label]
    for view in ("change", "delete", "history"):
        assert _answer(client, reverse(f"{prefix}_{view}", args=[theirs.pk])) == "404", view
    # The organizations list opens as a tree; ?view=list is its flat list.
    flat = {"view": "list"} if opts.label == "branches.Organization" else {}
    shown = {obj.pk for obj in client.get(reverse(f"{prefix}_changelist"), flat).context["cl"].result_list}
    assert ours.pk in shown
    assert theirs.pk not in shown
