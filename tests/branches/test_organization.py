import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from branches.models import ActionBranch, Organization, town_path
from branches.services import organization_save
from tests.factories import ActionBranchFactory, OrganizationFactory


def test_district_subtree_is_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = [org.code for org in tree["district"].subtree()]
    assert codes[0] == "XC"
    assert len(codes) == len(tree)


def test_subtree_holds_only_descendants_in_tree_order(tree):
    codes = list(tree["A"].subtree().values_list("code", flat=True))
    assert codes == ["A", "A01", "A0101", "A0102"]


def test_child_cannot_sit_above_its_level(tree):
    town = Organization(type=Organization.Type.TOWN, name="丙镇党委", code="C")
    with pytest.raises(ValidationError) as error:
        organization_save(organization=town, parent=tree["A01"])
    assert "镇党委不能设在党总支之下" in str(error.value)
    assert not Organization.objects.filter(code="C").exists()


def test_only_district_may_have_no_parent(db):
    branch = Organization(type=Organization.Type.BRANCH, name="孤立党支部", code="X1")
    with pytest.raises(ValidationError, match="只有区委可以没有上级组织"):
        organization_save(organization=branch, parent=None)


def test_moving_a_general_branch_moves_its_branches(tree):
    general = tree["A01"]
    organization_save(organization=general, parent=tree["B"])
    assert set(tree["B"].subtree().values_list("code", flat=True)) >= {"A01", "A0101", "A0102"}
    assert not tree["A"].subtree().filter(code="A0101").exists()


def test_organization_cannot_move_below_itself(tree):
    general = tree["A01"]
    with pytest.raises(ValidationError, match="党总支不能设在党总支之下"):
        organization_save(organization=general, parent=general)
    assert Organization.objects.get_parent(general) == tree["A"]


@pytest.fixture
def towns(tree):
    """The tree with a town (镇党委) beside its two subdistricts, and a general branch in it."""
    tree["C"] = OrganizationFactory(parent=tree["district"], type=Organization.Type.TOWN, name="丙镇党委", code="C")
    tree["C01"] = OrganizationFactory(
        parent=tree["C"], type=Organization.Type.GENERAL_BRANCH, name="丙镇第一党总支", code="C01"
    )
    return tree


def test_towns_are_exactly_the_towns_and_subdistricts(towns, cast):
    assert list(Organization.objects.towns().values_list("code", flat=True)) == ["A", "B", "C"]
    assert list(Organization.objects.filter(is_active=True).towns().values_list("code", flat=True)) == ["A", "B", "C"]
    assert list(Organization.objects.visible_to(cast["secretary_a"]).towns().values_list("code", flat=True)) == ["A"]
    assert not Organization.objects.visible_to(cast["outsider"]).towns().exists()


def test_town_path_of_each_level(towns):
    assert towns["district"].town_path == str(towns["district"].path)
    for code in ("A", "A01", "A0101", "A0102"):
        assert towns[code].town_path == str(towns["A"].path)
    assert towns["C01"].town_path == str(towns["C"].path)


def test_town_of_a_town_or_the_district_is_itself_without_a_query(towns, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert towns["A"].town is towns["A"]
        assert towns["district"].town is towns["district"]
    with django_assert_num_queries(1):
        assert towns["B0102"].town == towns["B"]


def test_sql_town_path_agrees_with_python_town_path(towns):
    in_sql = dict(Organization.objects.annotate(town=town_path("path")).values_list("code", "town"))
    assert {code: str(path) for code, path in in_sql.items()} == {
        organization.code: organization.town_path for organization in Organization.objects.all()
    }
    for code in ("district", "A", "A01", "B0101", "C01"):
        ActionBranchFactory(name=f"{code}行动支部", organization=towns[code])
    over_lookup = ActionBranch.objects.annotate(town=town_path("organization__path")).select_related("organization")
    assert {branch.name: str(branch.town) for branch in over_lookup} == {
        branch.name: branch.organization.town_path for branch in over_lookup
    }
    assert {str(branch.town) for branch in over_lookup} == {
        str(towns[code].path) for code in ("district", "A", "B", "C")
    }


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", scale=0.05, stdout=open("/dev/null", "w"))
    paths = dict(Organization.objects.values_list("code", "path"))
    call_command("seed_demo", scale=0.05, stdout=open("/dev/null", "w"))
    assert dict(Organization.objects.values_list("code", "path")) == paths
    towns = Organization.objects.towns().values_list("name", flat=True)
    assert "中共元和街道党工委" in towns and "中共阳澄湖镇党委" in towns


def test_demo_district_has_about_a_thousand_branches(db):
    import random

    from branches.seed import seed

    seed(scale=1, rng=random.Random(1), log=lambda message: None)
    branches = Organization.objects.filter(type=Organization.Type.BRANCH).count()
    assert 900 <= branches <= 1100


def test_seed_demo_gives_existing_demo_accounts_their_roles(db):
    from django.contrib.auth.models import User

    User.objects.create_user("secretary", password="kept-password-1234", is_staff=True)
    call_command("seed_demo", scale=0.02, stdout=open("/dev/null", "w"))
    secretary = User.objects.get(username="secretary")
    assert list(secretary.groups.values_list("name", flat=True)) == ["支部书记"]
    assert list(secretary.organization_scopes.values_list("organization__code", flat=True)) == ["YH"]
    assert secretary.check_password("kept-password-1234")
