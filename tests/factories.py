from datetime import date

import factory
from django.contrib.auth import get_user_model

from branches.models import Organization
from xiangcheng.validators import id_birth_date, id_sex


class OrganizationFactory(factory.django.DjangoModelFactory):
    """An organization placed in the tree: under `parent`, or as a new root district."""

    class Meta:
        model = Organization

    type = Organization.Type.BRANCH
    name = factory.Sequence(lambda n: f"测试党支部{n}")
    code = factory.Sequence(lambda n: f"T{n:05d}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        organization = model_class(**kwargs)
        if parent is None:
            organization.type = Organization.Type.DISTRICT
            return Organization.objects.add_root(instance=organization)
        return Organization.objects.add_child(parent, instance=organization)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def resident_id(serial: int, birth: str = "19850101", region: str = "110105") -> str:
    """A valid GB 11643 number for tests."""
    from stdnum.cn import ric

    body = f"{region}{birth}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class TalentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "talent.Talent"

    name = factory.Sequence(lambda n: f"人才{n}")
    sex = "male"
    id_number = factory.Sequence(lambda n: resident_id(n, birth=f"19{80 + n // 1000 % 10}0101"))
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    introduced_on = factory.Faker("date_between", start_date="-2y", end_date="today")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.Member"

    name = factory.Sequence(lambda n: f"党员{n}")
    id_number = factory.Sequence(lambda n: resident_id(n, birth=f"19{70 + n // 1000 % 30}0101", region="320500"))
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    birth_date = factory.LazyAttribute(lambda member: id_birth_date(member.id_number))
    sex = factory.LazyAttribute(lambda member: id_sex(member.id_number))
    # Fixed years, not counted back from today: every factory member (born 1970–1999) is an adult
    # member by then, whatever day the tests run.
    joined_on = factory.Faker("date_between", start_date=date(2018, 1, 1), end_date=date(2024, 12, 31))


class ActionBranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "branches.ActionBranch"

    name = factory.Sequence(lambda n: f"测试行动支部{n}")
    category = "convenience"
    founded_on = factory.Faker("date_between", start_date="-5y", end_date="-1y")


class ServiceActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "branches.ServiceAction"

    title = factory.Sequence(lambda n: f"服务活动{n}")
    kind = "volunteer"
    people_served = 10


class SecretaryProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "branches.SecretaryProject"

    name = factory.Sequence(lambda n: f"书记项目{n}")
    year = 2026
    goal = "项目目标"


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "branches.Instructor"

    name = factory.Sequence(lambda n: f"指导员{n}")
    role = "special"
    mobile = factory.Sequence(lambda n: f"137{n:08d}")


class SocialWorkerFactory(factory.django.DjangoModelFactory):
    """A general social worker on duty since 2025; give the `organization` (a town or a community)."""

    class Meta:
        model = "branches.SocialWorker"

    name = factory.Sequence(lambda n: f"社工{n}")
    id_number = factory.Sequence(lambda n: resident_id(n, birth=f"19{75 + n // 1000 % 20}0505", region="320507"))
    mobile = factory.Sequence(lambda n: f"136{n:08d}")
    birth_date = factory.LazyAttribute(lambda worker: id_birth_date(worker.id_number))
    sex = factory.LazyAttribute(lambda worker: id_sex(worker.id_number))
    employer = "社会工作服务中心"
    started_on = date(2025, 1, 1)


class CadreFactory(factory.django.DjangoModelFactory):
    """A cadre; birth date and sex follow the ID number (pass `id_number` to choose the birth date)."""

    class Meta:
        model = "cadres.Cadre"

    name = factory.Sequence(lambda n: f"干部{n}")
    id_number = factory.Sequence(lambda n: resident_id(n, birth=f"19{80 + n // 1000 % 20}0101", region="320500"))
    unit = "区委组织部"
    post = "科员"
    line = "party"
    cadre_type = "management"
    source = "selected_graduate"


def cadre_archive(cadre, size: int = 1) -> None:
    """`size` records of every kind in `cadre`'s growth archive (postings one year apart)."""
    from datetime import date

    from cadres import models

    dimension, _ = models.AssessmentDimension.objects.get_or_create(name="政治素质")
    for n in range(size):
        year = 2010 + n
        models.RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(year, 7, 1))
        models.EducationRecord.objects.create(
            cadre=cadre, start=date(year - 8, 9, 1), end=date(year - 4, 6, 30), school="苏州大学", degree="bachelor"
        )
        models.PostRecord.objects.create(
            cadre=cadre, start=date(year, 7, 1), unit="元和街道", post="科员", is_grassroots=True
        )
        training_class, _ = models.TrainingClass.objects.get_or_create(
            name=f"第{n + 1}期青年干部培训班", defaults={"start": date(year, 5, 1), "end": date(year, 5, 10)}
        )
        models.TrainingParticipation.objects.create(training_class=training_class, cadre=cadre, completion="completed")
        models.PracticePosting.objects.create(
            cadre=cadre, kind="park", host_unit="苏州工业园区", start=date(year, 1, 1), end=date(year, 6, 30)
        )
        models.AnnualEvaluation.objects.create(cadre=cadre, year=year, grade="competent")
        models.Award.objects.create(cadre=cadre, title="优秀共产党员", awarded_on=date(year, 7, 1))
        assessment = models.Assessment.objects.create(
            cadre=cadre, round=f"{year}年度", assessed_on=date(year, 12, 1), assessor="区委组织部"
        )
        models.AssessmentScore.objects.create(assessment=assessment, dimension=dimension, score=88)
        models.GrowthNote.objects.create(cadre=cadre, noted_on=date(year, 3, 1), content="参加区重点项目攻坚。")
        models.ReserveEntry.objects.create(
            cadre=cadre,
            category="deputy_section",
            entered_on=date(year, 1, 1),
            status="left",
            status_on=date(year, 12, 31),
        )
        models.FamilyMember.objects.create(
            cadre=cadre, relation="父亲", name=f"{cadre.name}之父{n + 1}", birth_date=date(1955, 5, 1), sort_order=n
        )
        models.AppointmentProposal.objects.create(
            cadre=cadre, proposed_on=date(year, 11, 1), proposed_post="元和街道党工委委员", reasons="工作需要。"
        )


def talent_project(organization, title, *, signed_on=None, stages=(), programme=None, approved=0, disbursed=0):
    """A talent project with dated stage changes: `signed_on` and any further (stage, date) pairs."""
    from decimal import Decimal

    from talent.models import ProjectStageChange, TalentProject

    project = TalentProject.objects.create(
        title=title,
        enterprise=f"{title}企业",
        organization=organization,
        programme=programme,
        approved=Decimal(approved),
        disbursed=Decimal(disbursed),
    )
    changes = ([("signed", signed_on)] if signed_on else []) + list(stages)
    ProjectStageChange.objects.bulk_create(
        [ProjectStageChange(project=project, stage=stage, changed_on=day) for stage, day in changes]
    )
    return project
