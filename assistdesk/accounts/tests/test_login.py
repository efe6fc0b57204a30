"""Login, logout, password reset by e-mail, and the throttle on failed logins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from assistdesk.accounts import throttle
from assistdesk.accounts.models import LoginFailure
from assistdesk.accounts.roles import Role
from assistdesk.accounts.services import staff_create
from assistdesk.common import clock
from assistdesk.customers.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def sara() -> object:
    return staff_create(
        username="sara", roles=[Role.DISPATCHER], password=PASSWORD, email="sara@example.com",
        actor="t", now=clock.now(),
    )  # fmt: skip


def login(client: Client, password: str, username: str = "sara", **extra: str) -> object:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_staff_land_in_the_console_and_sign_out(client: Client, sara: object) -> None:
    page = client.get(LOGIN)
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    response = login(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:home"))["Location"] == reverse("console:queue")
    assert client.get(reverse("console:queue")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("console:queue")).status_code == 302


def test_next_wins_when_it_is_local(client: Client, sara: object) -> None:
    data = {"username": "sara", "password": PASSWORD}
    response = client.post(LOGIN, data | {"next": "/console/dashboard/"})
    assert response["Location"] == "/console/dashboard/"
    client.logout()
    response = client.post(LOGIN, data | {"next": "https://evil.example/"})
    assert response["Location"] == reverse("accounts:home")


def test_contacts_land_in_the_portal(client: Client) -> None:
    from django.contrib.auth.models import User

    user = User.objects.create_user("giulia", "giulia@example.com", PASSWORD)
    ContactFactory(user=user)
    login(client, PASSWORD, "giulia")
    assert client.get(reverse("accounts:home"))["Location"] == reverse("portal:home")
    assert client.get(reverse("console:queue")).status_code == 403


def test_five_failures_lock_the_login_for_fifteen_minutes(client: Client, sara: object) -> None:
    start = clock.now()
    with clock.frozen_at(start):
        for _ in range(throttle.MAX_FAILURES):
            response = login(client, "wrong")
            assert "Please enter a correct username and password" in response.content.decode()
        locked = login(client, PASSWORD)  # even the right password
        assert locked.status_code == 200
        assert "Too many failed logins. Try again in 15 minutes." in locked.content.decode()
        assert "_auth_user_id" not in client.session
        # The lock is per username and address: the office next door is not locked out.
        elsewhere = login(Client(), PASSWORD, REMOTE_ADDR="10.0.0.9")
        assert elsewhere.status_code == 302
    assert LoginFailure.objects.count() == throttle.MAX_FAILURES  # refusals are not counted
    with clock.frozen_at(start + timedelta(minutes=throttle.LOCK_MINUTES, seconds=1)):
        assert login(client, PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="sara", ip="127.0.0.1").exists()


def test_fewer_failures_do_not_lock_and_usernames_are_case_blind(
    client: Client, sara: object
) -> None:
    for _ in range(throttle.MAX_FAILURES - 1):
        login(client, "wrong", "SARA")
    assert login(client, PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_locked(client: Client, sara: object) -> None:
    now = clock.now()
    for n in range(throttle.MAX_FAILURES_PER_IP):
        throttle.login_failure_record(username=f"user{n}", ip="127.0.0.1", now=now)
    assert "Too many failed logins" in login(client, PASSWORD).content.decode()


def test_the_admin_login_is_throttled_too(client: Client, sara: object) -> None:
    url = reverse("admin:login")
    for _ in range(throttle.MAX_FAILURES):
        client.post(url, {"username": "sara", "password": "wrong"})
    response = client.post(url, {"username": "sara", "password": PASSWORD})
    assert "Too many failed logins" in response.content.decode()


def test_password_reset_by_mail(client: Client, sara: object) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "sara@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    [message] = mail.outbox
    assert message.to == ["sara@example.com"] and "sara" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)
    assert link, message.body
    form = client.get(link[1], follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "a-new-long-passphrase-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert login(Client(), new).status_code == 302
    # Unknown addresses get the same answer and no mail.
    client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert len(mail.outbox) == 1


def test_login_page_in_italian(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "it", "next": LOGIN})
    page = client.get(LOGIN).content.decode()
    assert "Accedi" in page and "Password dimenticata?" in page
