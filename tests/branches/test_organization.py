import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from branches.models import Organization
from branches.services import organization_save


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


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", scale=0.05, stdout=open("/dev/null", "w"))
    paths = dict(Organization.objects.values_list("code", "path"))
    call_command("seed_demo", scale=0.05, stdout=open("/dev/null", "w"))
    assert dict(Organization.objects.values_list("code", "path")) == paths
    towns = Organization.objects.filter(type__in=["town", "subdistrict"]).values_list("name", flat=True)
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
