"""Hypothesis fuzzing of the import base: never a 500, nothing written when an import fails."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branches.models import Organization

HEADERS = ["上级组织代码", "组织代码", "名称", "组织类型", "成立日期", "有效", "书记", ""]
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["A01", "B01", "A", "ZZ", "党支部", "党总支", "区委", "是", "否", "2020-13-40", "=1+1", "3.2e+17"]),
)
csv_text = st.builds(
    lambda headers, rows: "\n".join(",".join(row) for row in [headers, *rows]),
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6),
    st.lists(st.lists(cell, min_size=0, max_size=7), max_size=5),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(csv_text.map(lambda text: text.encode("utf-8")), st.binary(max_size=300)))
def test_import_never_fails_badly(cast, as_user, payload):
    client = as_user(cast["secretary_a"])
    from tests.conftest import grant

    grant(cast["secretary_a"], "branches.add_organization", "branches.change_organization")
    before = set(Organization.objects.values_list("code", "name", "type"))
    file = io.BytesIO(payload)
    file.name = "fuzz.csv"
    response = client.post(
        "/admin/branches/organization/import/", {"import_file": file, "format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    assert set(Organization.objects.values_list("code", "name", "type")) == before
    confirm_form = response.context.get("confirm_form") if response.context else None
    if confirm_form is not None:
        form = {name: confirm_form.initial[name] for name in confirm_form.fields if name in confirm_form.initial}
        result = client.post("/admin/branches/organization/process_import/", form)
        assert result.status_code in (200, 302)
        # Whatever landed is inside the secretary's town.
        landed = Organization.objects.exclude(code__in=[code for code, _, _ in before])
        assert all(org.is_descendant_of(Organization.objects.get(code="A")) for org in landed)
        landed.delete()
