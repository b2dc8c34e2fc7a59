"""A long import says how far it is: the resource reports under the form's token, the page's
script polls the endpoint, and a user reads only their own progress."""

from tests.conftest import admin_confirm
from tests.factories import resident_id
from xiangcheng import progress

MEMBERS = "/admin/members/member/"
PROGRESS = "/import-progress"


def roster(rows: int) -> bytes:
    numbers = (resident_id(n, birth="19900101", region="320500") for n in range(rows))
    lines = "".join(f"新党员{n},{number},A0101,2015-07-01,正式党员\n" for n, number in enumerate(numbers))
    return ("姓名,身份证号,所在党组织,入党日期,党员类别\n" + lines).encode()


def upload(client, content: bytes, token: str):
    import io

    file = io.BytesIO(content)
    file.name = "名册.csv"
    return client.post(
        f"{MEMBERS}import/", {"import_file": file, "format": "0", "resource": "0", "progress_token": token}
    )


def test_import_page_loads_the_script_and_carries_a_token(cast, as_user):
    page = as_user(cast["secretary_a"]).get(f"{MEMBERS}import/")
    body = page.content.decode()
    assert 'src="/static/xiangcheng/import_progress.js"' in body
    assert 'data-progress-url="/import-progress"' in body
    assert progress.TOKEN.fullmatch(page.context["form"]["progress_token"].value())
    assert "<script>" not in body.split("<body")[1]  # no inline script


def test_endpoint_returns_what_the_import_reported_and_only_to_its_user(cast, as_user, tree, monkeypatch):
    reported = []
    monkeypatch.setattr(progress.Progress, "report", _recording(progress.Progress.report, reported))
    client = as_user(cast["secretary_a"])
    token = progress.new_token()
    preview = upload(client, roster(300), token)
    assert preview.context["confirm_form"] is not None
    assert reported == [{"read": 300}, {"validated": 250}, {"validated": 300}]
    found = client.get(PROGRESS, {"token": token})
    assert found.status_code == 200
    assert found.json() == {
        "stage": "validated",
        "label": "已校验",
        "done": 300,
        "total": 300,
        "text": "已读取 300 行 / 已校验 300 行",
    }

    # The confirm step reports under a token of its own, and writes.
    confirm_token = preview.context["confirm_form"].initial["progress_token"]
    assert confirm_token != token
    admin_confirm(client, MEMBERS, preview)
    confirmed = client.get(PROGRESS, {"token": confirm_token}).json()
    assert (confirmed["stage"], confirmed["done"]) == ("written", 300)
    assert confirmed["text"] == "已读取 300 行 / 已校验 300 行 / 已写入 300 行"

    other = as_user(cast["secretary_b"]).get(PROGRESS, {"token": token})
    assert (other.status_code, other.json()) == (404, {})


def test_endpoint_needs_a_login_and_a_valid_token(cast, client, as_user):
    assert client.get(PROGRESS, {"token": progress.new_token()}).status_code == 302
    staff = as_user(cast["staff"])
    assert staff.get(PROGRESS, {"token": "../../etc"}).status_code == 404
    assert staff.get(PROGRESS).status_code == 404


def _recording(report, reported):
    def record(self, total, **counts):
        reported.append(counts)
        return report(self, total, **counts)

    return record
