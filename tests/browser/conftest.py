import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.conftest import CHROMIUM, current_code, enrol

DEMO_PASSWORD = "xiangcheng-demo"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # themselves are still plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            yield browser
            browser.close()


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))


@pytest.fixture
def login(browser, live_server):
    """Sign in as a demo user in a new page. Every page a test opens this way is watched for
    Content-Security-Policy violations, and the test fails if any page logged one."""
    pages, violations = [], []

    def _login(username, second_step=True, **page_options):
        page = browser.new_page(**page_options)
        pages.append(page)
        page.on(
            "console",
            lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_load_state()
        if second_step and "/admin/second-factor/" in page.url:
            # The second step, with a code of an authenticator enrolled for this sign-in.
            device = enrol(get_user_model().objects.get(username=username))
            page.goto(f"{live_server.url}/admin/second-factor/?next=/admin/")
            page.fill("#id_code", current_code(device))
            page.click("input[type=submit]")
            page.wait_for_load_state()
        return page

    yield _login
    for page in pages:
        page.close()
    assert violations == [], "Content-Security-Policy violations: " + "; ".join(violations)
