"""Attachments: allowed types and size checked by extension and content, stored privately, opened
only by who may see the service action."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from branches.models import ServiceAction, ServiceAttachment
from tests.conftest import opened
from tests.factories import ActionBranchFactory, ServiceActionFactory
from xiangcheng.validators import UPLOAD_MAX_BYTES

ACTIONS = "/admin/branches/serviceaction/"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def branches(tree):
    return {town: ActionBranchFactory(name=f"{town}镇行动支部", organization=tree[f"{town}01"]) for town in ("A", "B")}


def log_with_file(client, branch, name, content, title="入户走访"):
    return client.post(
        f"{ACTIONS}add/",
        {
            "action_branch": branch.pk,
            "served_on": "2026-05-08",
            "kind": "visit",
            "title": title,
            "people_served": "3",
            "attachments-TOTAL_FORMS": "1",
            "attachments-INITIAL_FORMS": "0",
            "attachments-MIN_NUM_FORMS": "0",
            "attachments-MAX_NUM_FORMS": "1000",
            "attachments-0-file": SimpleUploadedFile(name, content),
        },
    )


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("现场照片.JPG", JPEG, "image/jpeg"),
        ("photo.png", PNG, "image/png"),
        ("签到表.pdf", PDF, "application/pdf"),
        (
            "总结.docx",
            office("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("台账.xlsx", office("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_allowed_files_are_stored_privately_and_opened_by_the_secretary(
    cast, as_user, branches, media, name, content, content_type
):
    client = as_user(cast["secretary_a"])
    assert log_with_file(client, branches["A"], name, content).status_code == 302
    attachment = ServiceAttachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (name, content_type, len(content))
    # Under MEDIA_ROOT, with a random name that reveals nothing of the original.
    [stored] = stored_files(media)
    assert stored.read_bytes() == content and name.split(".")[0] not in stored.name
    response = client.get(f"{ACTIONS}attachment/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == content_type
    # The change form links to the checked view, not to a public media URL.
    page = client.get(f"{ACTIONS}{attachment.action.pk}/change/").content.decode()
    assert f"{ACTIONS}attachment/{attachment.pk}/" in page and "/media/" not in page


def test_secretary_of_another_town_gets_404_for_an_attachment(cast, as_user, branches):
    log_with_file(as_user(cast["secretary_a"]), branches["A"], "photo.jpg", JPEG)
    attachment = ServiceAttachment.objects.get()
    url = f"{ACTIONS}attachment/{attachment.pk}/"
    assert as_user(cast["secretary_b"]).get(url).status_code == 404
    assert as_user(cast["outsider"]).get(url).status_code == 404
    assert as_user(cast["staff"]).get(url).status_code == 200
    assert as_user(cast["secretary_a"]).get(f"{ACTIONS}attachment/{attachment.pk + 1}/").status_code == 404


def test_media_files_are_not_served_publicly(cast, as_user, branches, client):
    log_with_file(as_user(cast["secretary_a"]), branches["A"], "photo.jpg", JPEG)
    name = ServiceAttachment.objects.get().file.name
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get(f"/{name}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("病毒.exe", b"MZ\x90\x00" + b"\x00" * 100, "不支持的文件类型“.exe”"),
        ("说明.txt", b"hello", "不支持的文件类型“.txt”"),
        ("无扩展名", JPEG, "不支持的文件类型（无扩展名）"),
        ("伪装照片.jpg", b"MZ\x90\x00" + b"\x00" * 100, "文件内容与扩展名“.jpg”不符"),
        ("伪装文档.docx", office("xl/workbook.xml"), "文件内容与扩展名“.docx”不符"),
        ("旧格式.pdf", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "文件内容与扩展名“.pdf”不符"),
        ("超大.png", PNG + b"\x00" * UPLOAD_MAX_BYTES, "超过 10 MB 的上限"),
        ("空.png", b"", "所提交的是空文件"),
    ],
)
def test_refused_file_is_a_chinese_form_error_and_nothing_is_stored(
    cast, as_user, branches, media, name, content, message
):
    response = log_with_file(as_user(cast["secretary_a"]), branches["A"], name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ServiceAction.objects.exists() and not ServiceAttachment.objects.exists()
    assert stored_files(media) == []


def test_deleting_an_attachment_removes_its_file(cast, as_user, branches, media, django_capture_on_commit_callbacks):
    client = as_user(cast["secretary_a"])
    log_with_file(client, branches["A"], "photo.jpg", JPEG)
    attachment = ServiceAttachment.objects.get()
    action = attachment.action
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{ACTIONS}{action.pk}/change/",
            {
                "action_branch": branches["A"].pk,
                "served_on": "2026-05-08",
                "kind": "visit",
                "title": action.title,
                "people_served": "3",
                "attachments-TOTAL_FORMS": "1",
                "attachments-INITIAL_FORMS": "1",
                "attachments-MIN_NUM_FORMS": "0",
                "attachments-MAX_NUM_FORMS": "1000",
                "attachments-0-id": attachment.pk,
                "attachments-0-action": action.pk,
                "attachments-0-DELETE": "on",
                **opened(action),
            },
        )
    assert response.status_code == 302
    assert not ServiceAttachment.objects.exists()
    assert stored_files(media) == []


def test_secretary_cannot_attach_to_another_towns_action(cast, as_user, branches):
    action = ServiceActionFactory(action_branch=branches["B"], served_on=date(2026, 5, 8))
    response = as_user(cast["secretary_a"]).post(
        f"{ACTIONS}{action.pk}/change/",
        {
            "action_branch": branches["B"].pk,
            "served_on": "2026-05-08",
            "kind": "visit",
            "title": action.title,
            "people_served": "3",
            "attachments-TOTAL_FORMS": "1",
            "attachments-INITIAL_FORMS": "0",
            "attachments-MIN_NUM_FORMS": "0",
            "attachments-MAX_NUM_FORMS": "1000",
            "attachments-0-file": SimpleUploadedFile("photo.jpg", JPEG),
        },
    )
    assert response.status_code == 404
    assert not ServiceAttachment.objects.exists()
