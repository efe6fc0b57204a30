"""Notification templates: every notification in every language, with English fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from assistdesk.channels.notifications import LANGUAGES, NOTIFICATIONS, render_notification

PLANNED = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
CONTEXTS = {
    "acknowledgement": dict(ticket_number=1234, origin="email", reason="Printer down", severity=1),
    "confirmation": dict(
        ticket_number=1234, subject="Printer down", planned_at=PLANNED, mode="onsite",
        expected_minutes=90, technician_name="Luca Bruno",
    ),
    "reply": dict(
        ticket_number=1234, subject="Printer down", body="Please restart it once more.",
        technician_name="Luca Bruno",
    ),
    "clarification": dict(
        ticket_number=1234, subject="Printer down", question="Which floor is the printer on?",
        technician_name="Luca Bruno",
    ),
    "work_started": dict(
        ticket_number=1234, subject="Printer down", technician_name="Luca Bruno",
        started_at=PLANNED,
    ),
    "resolution": dict(
        ticket_number=1234, subject="Printer down", resolution="Fuser unit replaced.",
        dialogue=[
            dict(author="Marco Rossi", sent_at=PLANNED, text="The printer shows 0x80070005."),
            dict(author="Luca Bruno", sent_at=PLANNED, text="I will come at 11."),
        ],
    ),
    "intervention_report": dict(
        ticket_number=1234, subject="Printer down", started_at=PLANNED, ended_at=PLANNED,
        mode="remote", technician_name="Luca Bruno", description="Cleared the queue.",
        total_amount=Decimal("50.00"), currency="EUR",
    ),
    "statement": dict(
        customer_name="Edil Rossi", period="March 2025", tickets_opened=4, interventions=6,
        hours_used="7.5", hours_left="16.5",
    ),
    "invoice": dict(
        customer_name="Edil Rossi", invoice_number="2025/000123", issued_on=date(2025, 4, 1),
        due_on=date(2025, 4, 30), total_amount=Decimal("610.00"), currency="EUR",
    ),
    "low_balance": dict(
        customer_name="Edil Rossi", allowance="Remote 24 h package", balance_hours="1.5",
        expires_on=date(2025, 9, 30),
    ),
}  # fmt: skip
# A word of each language's template that the others do not have.
GREETING = {"en": "Hello,", "it": "Buongiorno,", "fr": "Bonjour,", "ro": "Bună ziua,"}


def test_every_notification_has_a_context_here():
    assert set(CONTEXTS) == set(NOTIFICATIONS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", NOTIFICATIONS)
def test_every_notification_renders_in_every_language(name, language):
    subject, text, html = render_notification(name, language, CONTEXTS[name])
    assert subject and "\n" not in subject
    assert "{{" not in text and "{%" not in text and "\n\n\n" not in text
    assert GREETING[language] in text
    assert html is None
    if "ticket_number" in CONTEXTS[name]:
        assert subject.startswith("[AD#1234] ")
    for key, value in CONTEXTS[name].items():
        if isinstance(value, str) and key not in {"origin", "mode"}:  # codes get labels
            assert value in text or value in subject, value


def test_text_is_not_html_escaped():
    _, text, _ = render_notification(
        "clarification", "en", {**CONTEXTS["clarification"], "question": "Is it <LPT1> & USB?"}
    )
    assert "Is it <LPT1> & USB?" in text


def test_acknowledgement_has_number_origin_reason_and_severity_in_the_language():
    subject, text, _ = render_notification("acknowledgement", "it", CONTEXTS["acknowledgement"])
    assert subject == "[AD#1234] Richiesta ricevuta: Printer down"
    assert "Origine:   e-mail" in text
    assert "Gravità:   1 (alta, bloccante)" in text


def test_dates_are_in_the_language_and_the_customer_zone():
    context = {**CONTEXTS["confirmation"], "timezone": "Europe/Rome"}
    _, text, _ = render_notification("confirmation", "fr", context)
    assert "lundi 3 mars 2025, 10:30" in text
    assert "1:30 h" in text
    _, text, _ = render_notification("confirmation", "ro", context)
    assert "luni 3 martie 2025, 10:30" in text
    started = {**CONTEXTS["work_started"], "timezone": "Europe/Rome"}
    _, text, _ = render_notification("work_started", "it", started)
    assert "il 3 marzo 2025 alle 10:30" in text


def test_resolution_carries_the_whole_dialogue():
    _, text, _ = render_notification("resolution", "en", CONTEXTS["resolution"])
    assert text.index("The printer shows 0x80070005.") < text.index("I will come at 11.")
    assert "Fuser unit replaced." in text


@pytest.mark.parametrize("language", ["de", "", None, "EN-gb", "it_IT"])
def test_unknown_languages_fall_back_to_english_and_regions_are_ignored(language):
    subject, _, _ = render_notification("acknowledgement", language, CONTEXTS["acknowledgement"])
    expected = "Richiesta ricevuta" if language == "it_IT" else "Request received"
    assert expected in subject


def test_an_html_alternative_is_used_when_present(settings, tmp_path):
    folder = tmp_path / "channels" / "mail"
    folder.mkdir(parents=True)
    (folder / "invoice.fr.html").write_text("<p>Facture {{ invoice_number }} &amp; {{ x }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path]},
    ]
    _, _, html = render_notification("invoice", "fr", {**CONTEXTS["invoice"], "x": "<b>"})
    assert html == "<p>Facture 2025/000123 &amp; &lt;b&gt;</p>"
    # Only in the language the text was found in.
    assert render_notification("invoice", "it", CONTEXTS["invoice"])[2] is None


def test_unknown_notification_is_refused():
    with pytest.raises(ValueError, match="unknown notification"):
        render_notification("surprise", "en", {})
