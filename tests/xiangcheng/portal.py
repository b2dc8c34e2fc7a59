"""Every admin page of the portal, and a row of every model it lists.

`admin_pages()` names each page beyond Django's own changelist, add and change pages: the site's
(xiangcheng/sites.py) and each ModelAdmin's extra `get_urls`.

`row_set(parent)` makes a new branch under `parent` and, in it, one row of each admin's model
together with the rows that model points to or that its pages count (a pledge's fulfilments, a
pairing's visits, a cadre's archive). Every call makes new related rows too, so a page that reads
a related row per listed row shows it as queries that grow with the number of sets.

Dates fall in 2026, the year of `tests.clock.TODAY`, so the dashboard and the reports of the
current quarter count them.
"""

from datetime import date
from decimal import Decimal
from itertools import count
from typing import NamedTuple

from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse

from branches.models import (
    AccountScope,
    Brand,
    CommitteeTerm,
    Grid,
    GridLogEntry,
    GridRole,
    InstructorAssignment,
    Organization,
    ProjectMilestone,
    ProjectProgress,
    ServiceAttachment,
    SocialWorkerAssignment,
)
from tests.factories import (
    ActionBranchFactory,
    CadreFactory,
    InstructorFactory,
    MemberFactory,
    OrganizationFactory,
    SecretaryProjectFactory,
    ServiceActionFactory,
    SocialWorkerFactory,
    TalentFactory,
    UserFactory,
    cadre_archive,
    talent_project,
)

_serials = count(1)

ATTACHMENT = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def row_set(parent: Organization, *, with_files: bool = False) -> dict:
    """One row of every model registered on the admin site, under a new branch of `parent`,
    keyed by model label ("members.Member"). `with_files` also writes the service attachment's
    file to storage (the download page needs it); otherwise the attachment is a row only."""
    from cadres import models as cadres
    from members import models as members
    from talent import models as talent
    from xiangcheng.models import AccessLog, ClosedReport, Message, Target, TargetMilestone

    n = next(_serials)
    branch = OrganizationFactory(parent=parent, name=f"{parent.name}第{n}测试支部", code=f"{parent.code}R{n}")
    # The member moved in from a sibling branch, so the transfer and its periods have two ends.
    previous = OrganizationFactory(parent=parent, name=f"{parent.name}第{n}原支部", code=f"{parent.code}P{n}")
    user = UserFactory(username=f"row_user_{n}")
    AccountScope.objects.create(user=user, organization=branch)

    member = MemberFactory(organization=branch, name=f"党员{n}")
    members.MemberTransfer.objects.create(
        member=member, transferred_on=date(2026, 3, 1), from_organization=previous, to_organization=branch
    )
    members.MemberRecognition.objects.create(
        member=member, kind="honour", title=f"优秀共产党员{n}", dated_on=date(2026, 7, 1)
    )

    industry = talent.Industry.objects.create(name=f"产业{n}")
    zone = talent.Zone.objects.create(name=f"片区{n}")
    honour = talent.Honour.objects.create(name=f"称号{n}")
    recruitment_brand = talent.RecruitmentBrand.objects.create(name=f"招引品牌{n}")
    event = talent.RecruitmentEvent.objects.create(
        name=f"招引活动{n}", brand=recruitment_brand, held_on=date(2026, 4, 1)
    )
    programme = talent.FundingProgramme.objects.create(name=f"资助计划{n}", cap=Decimal("500000"))
    person = TalentFactory(
        name=f"人才{n}",
        organization=branch,
        industry=industry,
        zone=zone,
        source_event=event,
        introduced_on=date(2026, 5, 1),
    )
    talent.TalentHonour.objects.create(talent=person, honour=honour, awarded_on=date(2026, 5, 2))
    support = talent.SupportRequest.objects.create(talent=person, need=f"住房{n}", raised_on=date(2026, 5, 3))
    talent.OverseasPlacement.objects.create(
        talent=person, host_unit=f"用人单位{n}", project="重点项目", start=date(2026, 5, 4)
    )
    project = talent_project(
        branch,
        f"人才项目{n}",
        signed_on=date(2026, 6, 1),
        stages=[("landed", date(2026, 10, 1))],
        programme=programme,
        approved=1000,
        disbursed=500,
    )
    project.source_event = event
    project.save(update_fields=["source_event"])
    project.talents.add(person)
    fund = talent.Fund.objects.create(
        name=f"人才创新企业基金{n}", size=Decimal("10000"), manager=f"基金管理人{n}", established_on=date(2026, 1, 1)
    )
    investment = talent.Investment.objects.create(
        fund=fund, project=project, invested_on=date(2026, 7, 1), amount=Decimal("500"), share=10, stage="angel"
    )

    pledge = members.Pledge.objects.create(member=member, year=2026, pledged_on=date(2026, 1, 10), households=1)
    members.Fulfilment.objects.create(
        pledge=pledge,
        kind="talent_contact",
        done_on=date(2026, 2, 1),
        talent=person,
        support_request=support,
        project=project,
        action="联系人才",
    )
    household = members.Household.objects.create(
        head=f"户主{n}",
        address=f"{n}号",
        organization=branch,
        village=f"村{n}",
        hardship="illness",
        registered_on=date(2025, 1, 1),
    )
    pairing = members.Pairing.objects.create(member=member, household=household, year=2026)
    members.Visit.objects.create(pairing=pairing, visited_on=date(2026, 11, 2), action="送药")
    check = members.HealthCheck.objects.create(
        organization=branch,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        checked_on=date(2026, 10, 5),
        checker="督查组",
        result="good",
    )
    item = members.CheckItem.objects.create(name=f"体检项目{n}")
    members.HealthCheckScore.objects.create(health_check=check, item=item, verdict="met", score=9)
    venue = members.Venue.objects.create(
        organization=branch,
        name=f"党群服务站{n}",
        kind="station",
        address=f"中心路{n}号",
        area=300,
        opening_hours="周一至周日 8:30—20:00",
    )
    photo = members.VenuePhoto(
        venue=venue, original_name=f"门头{n}.pdf", content_type="application/pdf", size=len(ATTACHMENT)
    )
    if with_files:
        photo.file.save(f"{n}.pdf", ContentFile(ATTACHMENT), save=False)
    else:
        photo.file = f"members/venues/{n}.pdf"
    photo.save()
    venue_item = members.CheckItem.objects.create(name=f"阵地项目{n}", standard="venue")
    inspection = members.VenueInspection.objects.create(
        venue=venue, inspected_on=date(2026, 10, 20), inspector="督查组"
    )
    failed = members.VenueInspectionItem.objects.create(
        inspection=inspection, item=venue_item, verdict="not_met", rectify_by=date(2026, 11, 20)
    )

    brand = Brand.objects.create(name=f"党建品牌{n}", organization=branch)
    action_branch = ActionBranchFactory(organization=branch, brand=brand, secretary=member)
    action_branch.members.add(member)
    action = ServiceActionFactory(action_branch=action_branch, served_on=date(2026, 11, 3), recorded_by=user)
    action.participants.add(member)
    attachment = ServiceAttachment(
        action=action, original_name=f"照片{n}.pdf", content_type="application/pdf", size=len(ATTACHMENT)
    )
    if with_files:
        attachment.file.save(f"{n}.pdf", ContentFile(ATTACHMENT), save=False)
    else:
        attachment.file = f"branches/attachments/{n}.pdf"
    attachment.save()
    secretary_project = SecretaryProjectFactory(
        organization=branch, secretary=member, started_on=date(2026, 1, 1), planned_end=date(2026, 12, 31)
    )
    ProjectMilestone.objects.create(project=secretary_project, title="启动", due_on=date(2026, 3, 1), done=True)
    ProjectProgress.objects.create(project=secretary_project, reported_on=date(2026, 6, 30), percent=50)
    instructor = InstructorFactory(member=member)
    assignment = InstructorAssignment.objects.create(instructor=instructor, organization=branch, start=date(2026, 1, 1))
    # A grid of the community `parent`, with the member as a resident party member and a social
    # worker of the community, and a problem of its log that the worker took.
    social_worker = SocialWorkerFactory(organization=parent)
    worker_assignment = SocialWorkerAssignment.objects.create(
        social_worker=social_worker, organization=parent, started_on=date(2026, 1, 1)
    )
    grid = Grid.objects.create(organization=parent, name=f"测试网格{n}", code=f"{parent.code}-G{n}")
    grid_role = GridRole.objects.create(grid=grid, role="party_member", member=member, started_on=date(2026, 1, 1))
    GridRole.objects.create(grid=grid, role="social_worker", social_worker=social_worker, started_on=date(2026, 1, 1))
    log_entry = GridLogEntry.objects.create(
        grid=grid, raised_on=date(2026, 9, 1), category="safety", problem=f"问题{n}", taken_by_worker=social_worker
    )

    cadre = CadreFactory(organization=branch, member=member, name=f"干部{n}")
    cadre_archive(cadre)
    dimension = cadres.AssessmentDimension.objects.create(name=f"维度{n}")
    cadres.AssessmentScore.objects.create(assessment=cadre.assessments.get(), dimension=dimension, score=90)
    training_class = cadres.TrainingClass.objects.create(
        name=f"测试培训班{n}", start=date(2026, 5, 1), end=date(2026, 5, 10)
    )
    cadres.TrainingParticipation.objects.create(training_class=training_class, cadre=cadre, completion="completed")
    posting = cadres.PracticePosting.objects.create(
        cadre=cadre, kind="park", host_unit="苏州工业园区", start=date(2026, 9, 1), end=date(2027, 2, 28)
    )

    log = AccessLog.objects.create(user=user, action="export", what=f"测试导出{n}", rows=n)
    target = Target.objects.create(
        name=f"计划目标{n}", rule="talents_introduced", start=date(2026, 1, 1), end=date(2026, 12, 31), value=10
    )
    TargetMilestone.objects.create(target=target, due_on=date(2026, 6, 30), value=5)
    term = CommitteeTerm.objects.create(organization=branch, elected_on=date(2024, 1, 10), term_years=3)
    message = Message.objects.create(
        recipient=user,
        day=date(2026, 11, 18),
        subject=f"待办提醒{n}",
        body="· 本季度尚未走访的结对：1",
        items=[
            {
                "key": "pairings_unvisited",
                "label": "本季度尚未走访的结对",
                "count": 1,
                "deadline": "2026-12-31",
                "days_left": 43,
                "url": f"/admin/members/household/?org={branch.code}",
                "when": "2026-12-31 前，剩 43 天",
            }
        ],
    )
    closed = ClosedReport.objects.create(
        year=2026,
        quarter=1,
        organization=branch,
        closed_by=user,
        data={"heading": "测试季度报表", "sections": []},
        xlsx=b"",
        csv_zip=b"",
    )

    return {
        "auth.Group": Group.objects.create(name=f"测试角色{n}"),
        "auth.User": user,
        "branches.ActionBranch": action_branch,
        "branches.Brand": brand,
        "branches.CommitteeTerm": term,
        "branches.Grid": grid,
        "branches.GridLogEntry": log_entry,
        "branches.GridRole": grid_role,
        "branches.Instructor": instructor,
        "branches.InstructorAssignment": assignment,
        "branches.Organization": branch,
        "branches.SecretaryProject": secretary_project,
        "branches.ServiceAction": action,
        "branches.ServiceAttachment": attachment,
        "branches.SocialWorker": social_worker,
        "branches.SocialWorkerAssignment": worker_assignment,
        "cadres.AnnualEvaluation": cadre.evaluations.get(),
        "cadres.Assessment": cadre.assessments.get(),
        "cadres.AssessmentDimension": dimension,
        "cadres.Cadre": cadre,
        "cadres.CadreStatistics": cadres.CadreStatistics.objects.get(pk=cadre.pk),
        "cadres.PracticePosting": posting,
        "cadres.RankChange": cadre.rank_changes.get(),
        "cadres.ReserveEntry": cadre.reserve_entries.get(),
        "cadres.TrainingClass": training_class,
        "members.CheckItem": item,
        "members.Fulfilment": pledge.fulfilments.get(),
        "members.HealthCheck": check,
        "members.Household": household,
        "members.Member": member,
        "members.Pairing": pairing,
        "members.Pledge": pledge,
        "members.Rectification": members.Rectification.objects.get(pk=failed.pk),
        "members.Venue": venue,
        "members.VenueInspection": inspection,
        "members.VenuePhoto": photo,
        "members.Visit": pairing.visits.get(),
        "talent.Fund": fund,
        "talent.FundingProgramme": programme,
        "talent.Honour": honour,
        "talent.Industry": industry,
        "talent.Investment": investment,
        "talent.ProjectStageChange": project.stage_changes.first(),
        "talent.RecruitmentBrand": recruitment_brand,
        "talent.RecruitmentEvent": event,
        "talent.SupportRequest": support,
        "talent.Talent": person,
        "talent.TalentProject": project,
        "talent.Zone": zone,
        "xiangcheng.AccessLog": log,
        "xiangcheng.ClosedReport": closed,
        "xiangcheng.Message": message,
        "xiangcheng.Target": target,
    }


class Page(NamedTuple):
    """An admin page to GET: the URL named `url_name`, about the row of model `obj` of a row set
    (or none), with fixed URL arguments `args` (after the row's key) and a query string."""

    name: str
    url_name: str
    obj: str | None = None
    args: tuple = ()
    query: str = ""

    def url(self, rows: dict) -> str:
        args = [rows[self.obj].pk, *self.args] if self.obj else list(self.args)
        url = reverse(f"admin:{self.url_name}", args=args)
        return f"{url}?{self.query}" if self.query else url


# Pages that only answer a POST: a GET of them is refused (405), there is nothing to read.
POST_ONLY_SUFFIXES = ("_process_import",)
POST_ONLY = {"close_report"}

# The custom pages that need more than their URL name: an object, an argument, a download variant.
CUSTOM_PAGES = [
    # The dashboard is the site's own index.
    Page("index", "index"),
    Page("quarterly_report", "quarterly_report"),
    Page("quarterly_report?format=csv", "quarterly_report", query="format=csv"),
    Page("quarterly_report?format=xlsx", "quarterly_report", query="format=xlsx"),
    Page("reopen_report", "reopen_report", obj="xiangcheng.ClosedReport"),
    Page("closed_report_file", "closed_report_file", obj="xiangcheng.ClosedReport", args=("xlsx",)),
    Page("data_quality", "data_quality"),
    Page("organization_choices", "organization_choices"),
    # What the figures notice's script asks (whether figures computed for the first time are there).
    Page("figures_ready", "figures_ready", query="id=1&id=2"),
    # The organization tree's children of one organization (the fragment its script fetches).
    Page("branches_organization_changelist?parent=A01", "branches_organization_changelist", query="parent=A01"),
    Page("branches_organization_changelist?parent=B01", "branches_organization_changelist", query="parent=B01"),
    Page("branches_organization_chart", "branches_organization_chart"),
    Page("auth_user_password_change", "auth_user_password_change", obj="auth.User"),
    Page("branches_serviceaction_attachment", "branches_serviceaction_attachment", obj="branches.ServiceAttachment"),
    Page("branches_serviceaction_totals", "branches_serviceaction_totals"),
    Page("cadres_cadre_archive", "cadres_cadre_archive", obj="cadres.Cadre"),
    Page("cadres_cadre_approval_form", "cadres_cadre_approval_form", obj="cadres.Cadre"),
    Page("cadres_cadre_approval_print", "cadres_cadre_approval_print", obj="cadres.Cadre"),
    Page("cadres_cadrestatistics_export/csv", "cadres_cadrestatistics_export", args=("csv",)),
    Page("cadres_cadrestatistics_export/xlsx", "cadres_cadrestatistics_export", args=("xlsx",)),
    Page("members_pledge_completion", "members_pledge_completion"),
    Page("members_venue_photo", "members_venue_photo", obj="members.VenuePhoto"),
    Page("members_pledge_completion?download=csv", "members_pledge_completion", query="download=csv"),
    Page("members_pledge_completion?download=xlsx", "members_pledge_completion", query="download=xlsx"),
]


def _url_names(patterns) -> set[str]:
    return {pattern.name for pattern in patterns if getattr(pattern, "name", None)}


def custom_url_names() -> set[str]:
    """The URL names of every admin page beyond Django's own: the site's and each ModelAdmin's
    extra views (import and export included)."""
    names = _url_names(admin.site.get_urls()) - _url_names(admin.AdminSite.get_urls(admin.site))
    for model, model_admin in admin.site._registry.items():
        names |= _url_names(model_admin.get_urls()) - _url_names(admin.ModelAdmin(model, admin.site).get_urls())
    return names


def is_post_only(url_name: str) -> bool:
    return url_name in POST_ONLY or url_name.endswith(POST_ONLY_SUFFIXES)


def admin_pages() -> list[Page]:
    """Every custom admin page a GET reads: CUSTOM_PAGES, and the import and export form and the
    import template of each admin that has them (their URLs take no argument)."""
    explicit = {page.url_name for page in CUSTOM_PAGES}
    generic = [
        Page(name, name)
        for name in sorted(custom_url_names())
        if name not in explicit and not is_post_only(name) and name.endswith(("_import", "_export", "_import_template"))
    ]
    return [*CUSTOM_PAGES, *generic]


def changelist_name(model) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}_changelist"
