"""Read replicas, pinning, PgBouncer and several application servers, on a real cluster
(tests/cluster/conftest.py says how it is reached)."""

import io
import re

from django.utils import timezone

from tests.cluster.conftest import (
    SERVERS,
    Browser,
    hidden_inputs,
    replay_paused,
    signed_in_without_writing,
    wait_replayed,
)
from tests.factories import ServiceActionFactory

ACTIONS = "/admin/branches/serviceaction/"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def report_path(organization) -> str:
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    return f"/admin/reports/quarterly/?year={today.year}&quarter={quarter}&organization={organization.code}"


def person_times(page) -> int:
    """本期服务人次 as the quarterly report shows it."""
    assert page.status == 200, page.text[:2000]
    found = re.search(r'<th scope="row">本期服务人次</th><td class="number">(?:<a href="[^"]*">)?([\d,]+)<', page.text)
    assert found, page.text[:2000]
    return int(found.group(1).replace(",", ""))


def export(browser, server) -> str:
    """The service log as a CSV export (a POST that only reads: it does not pin)."""
    browser.get(server, f"{ACTIONS}export/")
    answer = browser.post(server, f"{ACTIONS}export/", {"format": "0", "resource": "0"})
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv"), answer.text[:2000]
    return answer.text


def log_action(town, title, people):
    return ServiceActionFactory(
        action_branch=town["branch"], title=title, people_served=people, served_on=timezone.localdate()
    )


def test_reports_and_exports_read_from_the_replica(town, primary_admin, replica_admin):
    reader = signed_in_without_writing(town["secretaries"][0])
    log_action(town, f"复制前{town['token']}", 300)
    wait_replayed(primary_admin, replica_admin)
    assert person_times(reader.get(SERVERS[0], report_path(town["town"]))) == 300

    with replay_paused(primary_admin, replica_admin):
        late = log_action(town, f"只在主库{town['token']}", 45)
        # On the primary, not on the replica.
        assert _count(primary_admin, late.pk) == 1 and _count(replica_admin, late.pk) == 0
        for server in SERVERS:
            # A page read before (its figures stored) and one never counted before: both from the replica.
            assert person_times(reader.get(server, report_path(town["town"]))) == 300
            assert person_times(reader.get(server, report_path(town["general"]))) == 300
            assert late.title not in export(reader, server)
        assert reader.get(SERVERS[1], "/admin/").status == 200
    # Replayed: the same pages show it.
    for server in SERVERS:
        assert person_times(reader.get(server, report_path(town["town"]))) == 345
        assert late.title in export(reader, server)


def _count(connection, pk) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM branches_serviceaction WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _action_form(town, title, people, **extra) -> dict:
    return {
        "action_branch": str(town["branch"].pk),
        "served_on": timezone.localdate().isoformat(),
        "kind": "volunteer",
        "title": title,
        "people_served": str(people),
        "place": "",
        "description": "",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        **extra,
    }


def test_a_user_who_wrote_sees_the_write_while_others_read_the_lagging_replica(town, primary_admin, replica_admin):
    log_action(town, f"已有{town['token']}", 100)
    writer, other = Browser(), signed_in_without_writing(town["secretaries"][1])
    writer.sign_in(SERVERS[0], town["secretaries"][0].username)
    with replay_paused(primary_admin, replica_admin):
        # Written through one server...
        writer.get(SERVERS[1], f"{ACTIONS}add/")
        answer = writer.post(SERVERS[1], f"{ACTIONS}add/", _action_form(town, f"刚写入{town['token']}", 23))
        assert answer.status == 302, answer.text[:3000]
        # ...read back through either: the writer reads from the primary.
        for server in SERVERS:
            assert person_times(writer.get(server, report_path(town["town"]))) == 123
        # Someone who wrote nothing reads from the replica, which has not replayed the write.
        assert person_times(other.get(SERVERS[0], report_path(town["town"]))) == 100
    assert person_times(other.get(SERVERS[0], report_path(town["town"]))) == 123


def test_session_import_and_attachment_move_between_servers(town):
    from branches.models import ServiceAction, ServiceAttachment

    first, second = SERVERS[0], SERVERS[1]
    browser = Browser()
    # A session begun on one server continues on the other.
    browser.sign_in(first, town["secretaries"][0].username)
    page = browser.get(second, "/admin/")
    assert page.status == 200 and town["secretaries"][0].username in page.text

    # An import previewed on one server is confirmed on the other.
    title = f"跨服务器导入{town['token']}"
    csv_text = "服务日期,行动支部,服务主题,服务类型,服务人次,服务地点\n"
    csv_text += f"{timezone.localdate().isoformat()},{town['branch'].name},{title},志愿服务,7,社区\n"
    upload = io.BytesIO(csv_text.encode())
    upload.name = "service.csv"
    browser.get(first, f"{ACTIONS}import/")
    preview = browser.post(first, f"{ACTIONS}import/", {"import_file": upload, "format": "0", "resource": "0"})
    assert preview.status == 200 and title in preview.text, preview.text[:3000]
    assert not ServiceAction.objects.filter(title=title).exists()
    confirm = {name: value for name, value in hidden_inputs(preview.text).items() if name != "csrfmiddlewaretoken"}
    assert confirm.get("import_file_name"), confirm
    answer = browser.post(second, f"{ACTIONS}process_import/", confirm)
    assert answer.status == 302, answer.text[:3000]
    assert ServiceAction.objects.get(title=title).people_served == 7

    # An attachment uploaded through one server is served by the other.
    photo = io.BytesIO(PNG)
    photo.name = "现场照片.png"
    titled = f"带附件{town['token']}"
    form = _action_form(town, titled, 3, **{"attachments-TOTAL_FORMS": "1", "attachments-0-file": photo})
    answer = browser.post(first, f"{ACTIONS}add/", form)
    assert answer.status == 302, answer.text[:3000]
    attachment = ServiceAttachment.objects.get(action__title=titled)
    served = browser.get(second, f"{ACTIONS}attachment/{attachment.pk}/")
    assert served.status == 200 and served.body == PNG
    # And not to someone who may not see the action.
    assert Browser().get(second, f"{ACTIONS}attachment/{attachment.pk}/").status == 302
