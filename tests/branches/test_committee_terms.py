"""Committee terms (届次): kept on the organization's page and in their own list with the day each
ends, imported as towns send them, scoped like their organization."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from branches.models import CommitteeTerm, Organization
from tests.conftest import admin_confirm, admin_upload

TERMS = "/admin/branches/committeeterm/"


def test_a_term_ends_its_years_after_the_election(tree):
    CommitteeTerm.objects.create(organization=tree["A"], elected_on=date(2021, 6, 30), term_years=5)
    CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2024, 2, 29), term_years=3)
    ends = dict(CommitteeTerm.objects.with_end().values_list("organization__code", "ends_on"))
    assert ends == {"A": date(2026, 6, 30), "A0101": date(2027, 2, 28)}


def test_the_current_term_is_the_latest_election(tree):
    CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2020, 1, 1), term_years=3)
    CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2023, 1, 1), term_years=3)
    organization = Organization.objects.all().with_term_end(date(2026, 1, 1)).get(pk=tree["A0101"].pk)
    assert organization.term_ends_on == date(2026, 1, 1)
    # Judged on a day before the second election, the first term was the current one.
    earlier = Organization.objects.all().with_term_end(date(2022, 6, 1)).get(pk=tree["A0101"].pk)
    assert earlier.term_ends_on == date(2023, 1, 1)


def test_the_database_refuses_a_term_out_of_range_or_twice_a_day(tree):
    with pytest.raises(ValidationError, match="任期不能超过 5 年"):
        CommitteeTerm(organization=tree["A0101"], elected_on=date(2024, 1, 1), term_years=6).full_clean()
    CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2024, 1, 1))
    with pytest.raises(IntegrityError):
        CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2024, 1, 1), term_years=5)


def test_terms_import_by_organization_code_or_name_and_update_by_election_day(tree, cast, as_user):
    client = as_user(cast["staff"])
    text = "党组织,选举日期,任期（年）,备注\nA0101,2024-03-01,3,\n乙镇党委,2022-05-20,5,镇党代会选举\n"
    admin_confirm(client, TERMS, admin_upload(client, TERMS, text.encode()))
    assert sorted(CommitteeTerm.objects.values_list("organization__code", "elected_on", "term_years")) == [
        ("A0101", date(2024, 3, 1), 3),
        ("B", date(2022, 5, 20), 5),
    ]
    again = "党组织,选举日期,任期（年）,备注\nA0101,2024-03-01,5,改为五年\n"
    admin_confirm(client, TERMS, admin_upload(client, TERMS, again.encode()))
    assert CommitteeTerm.objects.get(organization=tree["A0101"]).term_years == 5
    assert CommitteeTerm.objects.count() == 2


def test_secretary_sees_the_terms_of_their_town_only_and_does_not_edit_them(tree, cast, as_user):
    ours = CommitteeTerm.objects.create(organization=tree["A0101"], elected_on=date(2024, 1, 1))
    theirs = CommitteeTerm.objects.create(organization=tree["B0101"], elected_on=date(2024, 1, 1))
    client = as_user(cast["secretary_a"])
    listed = client.get(TERMS)
    assert [term.pk for term in listed.context["cl"].result_list] == [ours.pk]
    assert "2027年1月1日" in listed.content.decode()
    assert client.get(f"{TERMS}{theirs.pk}/change/").status_code == 404
    assert client.get(f"{TERMS}add/").status_code == 403
    # On the organization's own page, the term is shown with its end, read-only.
    page = client.get(f"/admin/branches/organization/{tree['A0101'].pk}/change/").content.decode()
    assert "2027年1月1日" in page
