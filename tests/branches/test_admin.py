import pytest

from branches.models import Organization
from tests.conftest import NO_COMMITTEE_TERMS


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_changelist_shows_tree_with_ancestry(staff_client, tree):
    response = staff_client.get("/admin/branches/organization/", {"view": "list"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "甲街道党工委第1党支部" in content
    assert "相城区委 › 甲街道党工委 › 甲街道党工委第一党总支" in content
    rows = [org.name for org in response.context["cl"].result_list]
    assert rows.index("甲街道党工委") < rows.index("甲街道党工委第1党支部") < rows.index("乙镇党委")


def test_changelist_filters_by_town(staff_client, tree):
    response = staff_client.get("/admin/branches/organization/", {"town": "B"})
    codes = {org.code for org in response.context["cl"].result_list}
    assert codes == {"B", "B01", "B0101", "B0102"}


def test_changelist_searches_by_code(staff_client, tree):
    response = staff_client.get("/admin/branches/organization/", {"q": "A0102"})
    assert [org.code for org in response.context["cl"].result_list] == ["A0102"]


def test_changelist_query_count_does_not_grow(staff_client, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        staff_client.get("/admin/branches/organization/", {"view": "list"})


def test_add_form_places_branch_under_parent(staff_client, tree):
    response = staff_client.post(
        "/admin/branches/organization/add/",
        {
            "parent": tree["A01"].code,
            "type": "branch",
            "name": "新建党支部",
            "code": "A0103",
            "is_active": "on",
            **NO_COMMITTEE_TERMS,
        },
    )
    assert response.status_code == 302, response.content.decode()
    created = Organization.objects.get(code="A0103")
    assert Organization.objects.get_parent(created) == tree["A01"]


def test_add_form_refuses_wrong_level_in_chinese(staff_client, tree):
    response = staff_client.post(
        "/admin/branches/organization/add/",
        {
            "parent": tree["A01"].code,
            "type": "town",
            "name": "错误镇党委",
            "code": "A9",
            "is_active": "on",
            **NO_COMMITTEE_TERMS,
        },
    )
    assert response.status_code == 200
    assert "镇党委不能设在党总支之下" in response.content.decode()
    assert not Organization.objects.filter(code="A9").exists()


def test_admin_index_is_chinese(staff_client):
    content = staff_client.get("/admin/").content.decode()
    assert "相城区党建生态管理平台" in content
    assert "党组织" in content
