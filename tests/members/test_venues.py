"""Party-mass service venues: a venue's status from its latest inspection, never inspected and
overdue at the edges, rectifications and when they are overdue, the standard's items as data,
scoping of the venues and their photos, the import, and the report's numbers."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from members.models import (
    INSPECTION_INTERVAL,
    CheckItem,
    Rectification,
    Venue,
    VenueInspection,
    VenueInspectionItem,
    VenuePhoto,
)
from members.venues import RectificationState, VenueStatus
from tests import clock
from tests.conftest import admin_confirm, admin_upload, opened
from xiangcheng.periods import quarter_of, quarter_period
from xiangcheng.reports import compute_sections

TODAY = clock.TODAY
VENUES = "/admin/members/venue/"
INSPECTIONS = "/admin/members/venueinspection/"
RECTIFICATIONS = "/admin/members/rectification/"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def items(db):
    """The venue standard: two items in use."""
    return [
        CheckItem.objects.create(name=name, standard=CheckItem.Standard.VENUE, criterion=criterion, sort_order=n)
        for n, (name, criterion) in enumerate([("统一标识", "门头标牌统一规范"), ("制度上墙", "制度上墙公开")])
    ]


def venue(organization, name="党群服务站"):
    return Venue.objects.create(
        organization=organization,
        name=name,
        kind=Venue.Kind.STATION,
        address="中心路1号",
        area=300,
        opening_hours="周一至周日 8:30—20:00",
    )


def inspect(place, on: date, items, *, failed=(), due=None, done=None):
    """An inspection of `place` on `on` judging every item; those in `failed` did not pass."""
    inspection = VenueInspection.objects.create(venue=place, inspected_on=on, inspector="督查组")
    for item in items:
        if item in failed:
            VenueInspectionItem.objects.create(
                inspection=inspection,
                item=item,
                verdict="not_met",
                finding="未整改",
                rectify_by=due or on + timedelta(days=30),
                rectified_on=done,
            )
        else:
            VenueInspectionItem.objects.create(inspection=inspection, item=item, verdict="met")
    return inspection


def status(place, on=TODAY) -> str:
    return Venue.objects.with_status(on).get(pk=place.pk).status


def listed(client, url, **query) -> list[str]:
    response = client.get(url, query)
    assert response.status_code == 200
    return [str(obj) for obj in response.context["cl"].result_list]


# --- Status from the latest inspection ------------------------------------------------------


def test_a_newer_passed_inspection_makes_an_older_failed_one_history(cast, as_user, tree, items):
    place = venue(tree["A01"], "甲站")
    inspect(place, TODAY - timedelta(days=100), items, failed=[items[0]])
    assert status(place) == VenueStatus.NOT_MET
    inspect(place, TODAY - timedelta(days=10), items)

    assert status(place) == VenueStatus.MET
    # Judged on a day between the two, the failed one was the latest.
    assert status(place, TODAY - timedelta(days=50)) == VenueStatus.NOT_MET
    client = as_user(cast["staff"])
    assert listed(client, VENUES, status="met") == ["甲站"]
    assert listed(client, VENUES, status="not_met") == []
    on = (TODAY - timedelta(days=50)).isoformat()
    assert listed(client, VENUES, status=f"not_met@{on}") == ["甲站"]


def test_a_newer_failed_inspection_makes_the_venue_fail_however_it_passed_before(tree, items):
    place = venue(tree["A01"])
    inspect(place, TODAY - timedelta(days=100), items)
    inspect(place, TODAY - timedelta(days=10), items, failed=[items[1]])
    assert status(place) == VenueStatus.NOT_MET


def test_never_inspected_until_the_day_of_the_first_inspection(cast, as_user, tree, items):
    place = venue(tree["A01"], "甲站")
    assert status(place) == VenueStatus.NEVER
    inspect(place, TODAY, items)
    assert status(place) == VenueStatus.MET
    assert status(place, TODAY - timedelta(days=1)) == VenueStatus.NEVER
    # Never inspected is its own list, not also "overdue".
    client = as_user(cast["staff"])
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert listed(client, VENUES, status=f"never@{yesterday}") == ["甲站"]
    assert listed(client, VENUES, overdue=f"yes@{yesterday}") == []


@pytest.mark.parametrize(("days_ago", "overdue"), [(364, False), (365, False), (366, True)])
def test_overdue_once_the_latest_inspection_is_older_than_a_year(cast, as_user, tree, items, days_ago, overdue):
    assert INSPECTION_INTERVAL == timedelta(days=365)
    place = venue(tree["A01"], "甲站")
    inspect(place, TODAY - timedelta(days=days_ago), items)
    # An earlier inspection does not change what the latest says.
    inspect(place, TODAY - timedelta(days=days_ago + 200), items, failed=items)

    assert listed(as_user(cast["staff"]), VENUES, overdue="yes") == (["甲站"] if overdue else [])
    assert status(place) == VenueStatus.MET


# --- Rectifications -------------------------------------------------------------------------


def test_a_rectification_is_overdue_the_day_after_it_was_due_while_not_done(cast, as_user, tree, items):
    place = venue(tree["A01"])
    inspect(place, TODAY - timedelta(days=40), items, failed=[items[0]], due=TODAY - timedelta(days=1))
    inspect(place, TODAY - timedelta(days=30), items, failed=[items[0]], due=TODAY)
    inspect(place, TODAY - timedelta(days=20), items, failed=[items[0]], due=TODAY - timedelta(days=5), done=TODAY)

    states = dict(Rectification.objects.with_state(TODAY).values_list("rectify_by", "state"))
    assert states == {
        TODAY - timedelta(days=1): RectificationState.OVERDUE,
        TODAY: RectificationState.OPEN,
        TODAY - timedelta(days=5): RectificationState.DONE,
    }
    client = as_user(cast["staff"])

    def due_dates(**query):
        response = client.get(RECTIFICATIONS, query)
        return [obj.rectify_by for obj in response.context["cl"].result_list]

    assert due_dates(state="overdue") == [TODAY - timedelta(days=1)]
    assert due_dates(state="open") == [TODAY]
    # Yesterday the one done today was still overdue, and the one due yesterday was not yet.
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert due_dates(state=f"overdue@{yesterday}") == [TODAY - timedelta(days=5)]
    assert due_dates(state=f"open@{yesterday}") == [TODAY - timedelta(days=1), TODAY]
    # Passed items are no rectifications.
    assert Rectification.objects.count() == 3
    assert VenueInspectionItem.objects.count() == 6


def test_a_failed_item_needs_its_due_date_and_a_passed_one_takes_none(tree, items):
    inspection = VenueInspection.objects.create(venue=venue(tree["A01"]), inspected_on=TODAY, inspector="督查组")
    failed = VenueInspectionItem(inspection=inspection, item=items[0], verdict="not_met")
    with pytest.raises(ValidationError, match="不达标的项目须填写整改期限"):
        failed.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        failed.save()
    passed = VenueInspectionItem(inspection=inspection, item=items[1], verdict="met", rectify_by=TODAY)
    with transaction.atomic(), pytest.raises(IntegrityError):
        passed.save()


def test_the_secretary_records_the_rectification_but_not_its_due_date(cast, as_user, tree, items):
    inspect(venue(tree["A01"]), TODAY - timedelta(days=40), items, failed=[items[0]], due=TODAY - timedelta(days=10))
    rectification = Rectification.objects.get()
    client = as_user(cast["secretary_a"])
    url = f"{RECTIFICATIONS}{rectification.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert set(form.fields) == {"rectified_on", "rectification"}
    data = {"rectified_on": TODAY.isoformat(), "rectification": "已更换标牌", "rectify_by": "2030-01-01"}
    response = client.post(url, {**data, **opened(rectification)})
    assert response.status_code == 302
    rectification.refresh_from_db()
    assert (rectification.rectified_on, rectification.rectify_by) == (TODAY, TODAY - timedelta(days=10))
    assert listed(client, RECTIFICATIONS, state="done") == [str(rectification)]
    assert client.get(f"{RECTIFICATIONS}add/").status_code == 403


# --- The standard as data, shared with the health check --------------------------------------


def test_a_new_inspection_offers_every_item_in_use_and_refuses_one_left_unjudged(cast, as_user, tree, items):
    retired = CheckItem.objects.create(name="旧项目", standard=CheckItem.Standard.VENUE, is_active=False)
    CheckItem.objects.create(name="班子建设", standard=CheckItem.Standard.HEALTH_CHECK)
    place = venue(tree["A01"])
    client = as_user(cast["staff"])
    formset = client.get(f"{INSPECTIONS}add/").context["inline_admin_formsets"][0].formset
    assert [form.initial.get("item") for form in formset.forms] == [item.pk for item in items]
    assert {choice.name for choice in formset.forms[0].fields["item"].queryset} == {"统一标识", "制度上墙"}

    data = {
        "venue": place.pk,
        "inspected_on": TODAY.isoformat(),
        "inspector": "督查组",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-item": items[0].pk,
        "items-0-verdict": "not_met",
        "items-0-rectify_by": (TODAY + timedelta(days=30)).isoformat(),
    }
    # The row of 制度上墙 taken off the form: the inspection would not judge it.
    response = client.post(f"{INSPECTIONS}add/", data)
    assert "尚未评判：制度上墙" in response.content.decode()
    # Left on the form without a verdict: the row asks for one.
    both = {**data, "items-TOTAL_FORMS": "2", "items-1-item": items[1].pk}
    response = client.post(f"{INSPECTIONS}add/", both)
    assert response.context["inline_admin_formsets"][0].formset.errors[1] == {"verdict": ["这个字段是必填项。"]}
    # A failed item without its due date.
    response = client.post(f"{INSPECTIONS}add/", {**both, "items-1-verdict": "not_met"})
    assert "不达标的项目须填写整改期限" in response.content.decode()
    assert not VenueInspection.objects.exists()

    response = client.post(f"{INSPECTIONS}add/", {**both, "items-1-verdict": "met"})
    assert response.status_code == 302
    assert status(place) == VenueStatus.NOT_MET
    assert Rectification.objects.get().item == items[0]
    assert retired.venue_verdicts.count() == 0


def test_health_check_and_venue_items_are_one_list_told_apart_by_standard(cast, as_user, tree, items):
    CheckItem.objects.create(name="班子建设", standard=CheckItem.Standard.HEALTH_CHECK)
    client = as_user(cast["staff"])
    assert listed(client, "/admin/members/checkitem/", standard__exact="venue") == ["统一标识", "制度上墙"]
    assert listed(client, "/admin/members/checkitem/", standard__exact="health_check") == ["班子建设"]
    health = client.get("/admin/members/healthcheck/add/").context["inline_admin_formsets"][0].formset
    assert [item.name for item in health.empty_form.fields["item"].queryset] == ["班子建设"]


# --- Scoping ---------------------------------------------------------------------------------


def test_a_secretary_sees_the_venues_of_their_subtree_only(cast, as_user, tree, items):
    ours, theirs = venue(tree["A01"], "甲站"), venue(tree["B01"], "乙站")
    inspect(ours, TODAY, items)
    inspect(theirs, TODAY, items, failed=[items[0]])
    client = as_user(cast["secretary_a"])

    assert listed(client, VENUES) == ["甲站"]
    assert listed(client, VENUES, status="not_met") == []
    assert [str(obj) for obj in client.get(INSPECTIONS).context["cl"].result_list] == [f"甲站 {TODAY:%Y-%m-%d}"]
    assert listed(client, RECTIFICATIONS) == []
    assert client.get(f"{VENUES}{theirs.pk}/change/").status_code == 404
    inspection = theirs.inspections.get()
    assert client.get(f"{INSPECTIONS}{inspection.pk}/change/").status_code == 404
    assert client.get(f"{RECTIFICATIONS}{Rectification.objects.get().pk}/change/").status_code == 404
    # The report counts their own town's venue only.
    (section,) = [s for s in sections(cast["secretary_a"], tree["A"]) if s.key == "venues"]
    assert {figure.label: figure.value for figure in section.figures}["党群服务阵地"] == 1


def test_photos_open_for_who_may_see_the_venue_only(cast, as_user, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    place = venue(tree["A01"], "甲站")
    client = as_user(cast["secretary_a"])
    change = client.get(f"{VENUES}{place.pk}/change/")
    data = {
        "organization": tree["A01"].pk,
        "name": "甲站",
        "kind": "station",
        "address": "中心路1号",
        "area": "300",
        "opening_hours": "周一至周日 8:30—20:00",
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
        "photos-0-file": SimpleUploadedFile("门头.jpg", JPEG),
        "photos-0-caption": "门头标牌",
        "inspections-TOTAL_FORMS": "0",
        "inspections-INITIAL_FORMS": "0",
        "inspections-MIN_NUM_FORMS": "0",
        "inspections-MAX_NUM_FORMS": "1000",
        change.context["edit_version_field"]: change.context["edit_version"],
    }
    assert client.post(f"{VENUES}{place.pk}/change/", data).status_code == 302
    photo = VenuePhoto.objects.get()
    assert photo.file.name.startswith("members/venues/")
    assert (tmp_path / photo.file.name).read_bytes() == JPEG
    url = reverse("admin:members_venue_photo", args=[photo.pk])
    # The form links the checked view, never the public media URL.
    body = client.get(f"{VENUES}{place.pk}/change/").content.decode()
    assert url in body
    assert settings.MEDIA_URL + photo.file.name not in body

    shown = client.get(url)
    assert (shown.status_code, b"".join(shown.streaming_content)) == (200, JPEG)
    assert {"private", "no-store"} <= {part.strip() for part in shown["Cache-Control"].split(",")}
    assert as_user(cast["staff"]).get(url).status_code == 200
    assert as_user(cast["secretary_b"]).get(url).status_code == 404
    assert as_user(cast["outsider"]).get(url).status_code == 404


# --- Import ----------------------------------------------------------------------------------

HEADER = "所属党组织,阵地名称,阵地类型,地址,使用面积（平方米）,开放时间\n"


def test_import_of_venues_with_one_bad_row_writes_nothing(cast, as_user, tree):
    client = as_user(cast["secretary_a"])
    rows = (
        "A01,甲一站,党群服务站,中心路1号,300,周一至周日 8:30—20:00\n"
        "A0101,甲二站,党群服务点,中心路2号,0,周一至周五 9:00—17:00\n"
        "A0102,甲三站,党群服务点,中心路3号,120,周一至周五 9:00—17:00\n"
    )
    preview = admin_upload(client, VENUES, (HEADER + rows).encode())
    body = preview.content.decode()
    assert "第 2 条数据" in body
    assert preview.context.get("confirm_form") is None
    assert not Venue.objects.exists()

    # A row of town B is outside the secretary's scope: refused, nothing written.
    outside = rows.replace(",0,", ",80,").replace("A0102", "B0101")
    preview = admin_upload(client, VENUES, (HEADER + outside).encode())
    assert "找不到党组织“B0101”，或不在您的权限范围内" in preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert not Venue.objects.exists()

    fixed = rows.replace(",0,", ",80,")
    preview = admin_upload(client, VENUES, (HEADER + fixed).encode())
    assert admin_confirm(client, VENUES, preview).status_code == 302
    assert sorted(Venue.objects.values_list("organization__code", "name", "area")) == [
        ("A01", "甲一站", 300),
        ("A0101", "甲二站", 80),
        ("A0102", "甲三站", 120),
    ]


# --- The report ------------------------------------------------------------------------------


def sections(user, organization=None):
    quarter = quarter_period(TODAY.year, quarter_of(TODAY))
    return compute_sections(organization, user, quarter.start, quarter.end)


def test_the_report_counts_the_standardization_rate_by_town_and_what_is_to_be_done(cast, tree, items):
    for town, passed in (("A", True), ("B", False)):
        place = venue(tree[f"{town}01"], f"{town}站")
        failed = [] if passed else [items[0]]
        inspect(place, TODAY - timedelta(days=30), items, failed=failed, due=TODAY - timedelta(days=1))
        venue(tree[f"{town}0101"], f"{town}新站")
    late = venue(tree["B0102"], "乙老站")
    inspect(late, TODAY - timedelta(days=400), items)

    (section,) = [s for s in sections(cast["staff"]) if s.key == "venues"]
    figures = {figure.label: figure for figure in section.figures}
    assert {label: figure.value for label, figure in figures.items()} == {
        "党群服务阵地": 5,
        "阵地达标率": "40.0%",
        "达标阵地": 2,
        "本期阵地检查": 2,
        "本期检查未达标": 1,
        "从未检查的阵地": 2,
        "超过一年未检查的阵地": 1,
        "整改中的问题": 0,
        "逾期未整改的问题": 1,
    }
    assert {label for label, figure in figures.items() if figure.shortfall} == {
        "从未检查的阵地",
        "超过一年未检查的阵地",
        "逾期未整改的问题",
    }
    (table,) = section.tables
    assert [[cell.value for cell in row] for row in table.rows] == [
        ["甲街道党工委", 2, 1, 0, 1, 0, "50.0%"],
        ["乙镇党委", 3, 1, 1, 1, 1, "33.3%"],
    ]
    assert [cell.value for cell in table.total] == ["合计", 5, 2, 1, 2, 1, "40.0%"]
