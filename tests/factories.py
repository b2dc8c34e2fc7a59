import factory
from django.contrib.auth import get_user_model

from branches.models import Organization


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
    joined_on = factory.Faker("date_between", start_date="-10y", end_date="-1y")


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
