"""Notification texts in the contact's language (en, it, fr, ro), from Django templates.

Each notification is `templates/channels/mail/<name>.<lang>.txt`: the first line is the
subject, a blank line, then the body. An optional `<name>.<lang>.html` beside it is the
HTML alternative. A language without its own template falls back to English.

Text templates render without HTML escaping (they are not HTML); dates and numbers are
formatted in the notification's language, instants in `timezone` (a zone name in the
context: the customer's calendar zone; UTC without one). Labels for codes (origin, severity, mode) are
added to the context here, so every template shows the same words.

Context each notification expects (besides `contact_name` and `provider_name`):

| name | keys |
|---|---|
| acknowledgement | ticket_number, origin, reason, severity |
| confirmation | ticket_number, subject, planned_at, mode, expected_minutes, technician_name |
| reply | ticket_number, subject, body, technician_name |
| clarification | ticket_number, subject, question, technician_name |
| work_started | ticket_number, subject, technician_name, started_at |
| resolution | ticket_number, subject, resolution, dialogue (author, sent_at, text) |
| intervention_report | ticket_number, subject, started_at, ended_at, mode, technician_name, description, total_amount, currency |
| statement | customer_name, period, tickets_opened, interventions, hours_used, hours_left |
| invoice | customer_name, invoice_number, issued_on, due_on, total_amount, currency |
| low_balance | customer_name, allowance, balance_hours, expires_on |
"""  # noqa: E501 - a table reads better unbroken

from __future__ import annotations

import functools
import re
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import timezone, translation

from assistdesk.channels.mail.classify import ticket_tag

LANGUAGES = ("en", "it", "fr", "ro")
DEFAULT_LANGUAGE = "en"
NOTIFICATIONS = (
    "acknowledgement",
    "confirmation",
    "reply",
    "clarification",
    "work_started",
    "resolution",
    "intervention_report",
    "statement",
    "invoice",
    "low_balance",
)

ORIGIN_LABELS = {
    "en": {"email": "e-mail", "web": "web form", "phone": "phone", "monitoring": "monitoring",
           "other": "other"},
    "it": {"email": "e-mail", "web": "modulo web", "phone": "telefono",
           "monitoring": "monitoraggio", "other": "altro"},
    "fr": {"email": "e-mail", "web": "formulaire web", "phone": "téléphone",
           "monitoring": "supervision", "other": "autre"},
    "ro": {"email": "e-mail", "web": "formular web", "phone": "telefon",
           "monitoring": "monitorizare", "other": "altele"},
}  # fmt: skip
SEVERITY_LABELS = {
    "en": {1: "1 (high, blocking)", 2: "2 (medium, partial)", 3: "3 (low, notice)"},
    "it": {1: "1 (alta, bloccante)", 2: "2 (media, parziale)", 3: "3 (bassa, segnalazione)"},
    "fr": {1: "1 (haute, bloquant)", 2: "2 (moyenne, partiel)", 3: "3 (basse, signalement)"},
    "ro": {1: "1 (ridicată, blocant)", 2: "2 (medie, parțial)", 3: "3 (scăzută, semnalare)"},
}
MODE_LABELS = {
    "en": {"remote": "remote assistance", "onsite": "on site", "phone": "by phone"},
    "it": {"remote": "assistenza remota", "onsite": "presso la vostra sede", "phone": "telefonica"},
    "fr": {"remote": "à distance", "onsite": "sur site", "phone": "par téléphone"},
    "ro": {"remote": "asistență la distanță", "onsite": "la sediul dumneavoastră",
           "phone": "telefonic"},
}  # fmt: skip


def normalise_language(language: str | None) -> str:
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=4)
def _engine_for(dirs: tuple[str, ...], debug: bool) -> Engine:
    # A plain engine: the project's would first import every app's template tags (REST
    # framework, requests, ...), seconds and megabytes a mail worker does not need.
    return Engine(dirs=list(dirs), app_dirs=True, debug=debug)


def _engine() -> Engine:
    """The project's template folders and apps, without its tag libraries."""
    dirs = cast(list[Any], settings.TEMPLATES[0].get("DIRS") or [])
    return _engine_for(tuple(str(d) for d in dirs), settings.DEBUG)


def _template(name: str, language: str, extension: str) -> Any | None:
    try:
        return _engine().get_template(f"channels/mail/{name}.{language}.{extension}")
    except TemplateDoesNotExist:
        return None


def _labelled(language: str, context: dict[str, Any]) -> dict[str, Any]:
    full = {"provider_name": "AssistDesk", "contact_name": "", **context}
    if "ticket_number" in full:
        full.setdefault("tag", ticket_tag(int(full["ticket_number"])))
    if "origin" in full:
        full.setdefault("origin_label", ORIGIN_LABELS[language].get(full["origin"], full["origin"]))
    if "severity" in full:
        labels = SEVERITY_LABELS[language]
        full.setdefault("severity_label", labels.get(int(full["severity"]), full["severity"]))
    if "mode" in full:
        full.setdefault("mode_label", MODE_LABELS[language].get(full["mode"], full["mode"]))
    if "expected_minutes" in full:
        hours, minutes = divmod(int(full["expected_minutes"]), 60)
        full.setdefault("expected_duration", f"{hours}:{minutes:02d}")
    return full


def render_notification(
    name: str, language: str | None, context: dict[str, Any]
) -> tuple[str, str, str | None]:
    """(subject, text, html or None) of a notification in `language` (else English)."""
    if name not in NOTIFICATIONS:
        raise ValueError(f"unknown notification {name!r}")
    lang = normalise_language(language)
    text_template = _template(name, lang, "txt")
    if text_template is None:
        lang = DEFAULT_LANGUAGE
        text_template = _template(name, lang, "txt")
    if text_template is None:
        raise TemplateDoesNotExist(f"channels/mail/{name}.{DEFAULT_LANGUAGE}.txt")
    full = _labelled(lang, context)
    zone = ZoneInfo(str(full.get("timezone") or "UTC"))
    with translation.override(lang), timezone.override(zone):
        rendered = text_template.render(Context(full, autoescape=False))
        # The HTML alternative only in the language the text was found in.
        html_template = _template(name, lang, "html")
        html = html_template.render(Context(full)) if html_template is not None else None
    subject, _, body = rendered.lstrip("\n").partition("\n")
    # Template tags on lines of their own leave blank lines and trailing spaces behind.
    body = re.sub(r"[ \t]+\n", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
    return " ".join(subject.split()), body, html
