"""Which mail must never be answered, and the ticket tag in a subject.

Answering an auto-reply, a bounce or a mailing list is how mail loops start (two
out-of-office robots can exchange thousands of messages over a weekend). The signals:

- auto-reply: RFC 3834 `Auto-Submitted: auto-replied` (any value but `no` and
  `auto-generated`), `Precedence: bulk|junk|auto_reply`, `X-Autoreply`, `X-Autorespond`,
  or an out-of-office subject in one of our languages;
- auto-generated: `Auto-Submitted: auto-generated` — a machine (a monitoring system)
  writing on its own, not answering; it may open a ticket but gets no answer either;
- bounce: a null return path `<>`, a MAILER-DAEMON/postmaster sender, a
  `multipart/report; report-type=delivery-status`, or Exchange's NDR markers;
- mailing list: `List-Id`, `List-Unsubscribe` or `Precedence: list`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TICKET_TAG_PREFIX = "AD"

# Only the "Label:" form the robots write: an IT help desk does get human mail titled
# "Automatic reply not working in Outlook".
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[- ]?(?:reply|response|answer)|out of (?:the )?office(?: reply)?|"
    r"risposta automatica|fuori sede|fuori ufficio|réponse automatique|absent du bureau|"
    r"absente du bureau|răspuns automat|raspuns automat|automatische antwort|"
    r"abwesenheitsnotiz)\s*:",
    re.IGNORECASE,
)
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autoreply-from")
_BOUNCE_LOCAL_PARTS = {"mailer-daemon", "postmaster", "mail-daemon"}
_BOUNCE_HEADERS = ("x-failed-recipients", "x-ms-exchange-message-is-ndr")
_LIST_HEADERS = ("list-id", "list-unsubscribe")
_REPLY_PREFIX = re.compile(r"^\s*(?:re|r|rif|aw|sv|antw|ref)\s*:", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|i|inoltro|tr|rv|wg|redir)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Classification:
    auto_submitted: str
    is_auto_reply: bool
    is_auto_generated: bool
    is_bounce: bool
    is_mailing_list: bool


def classify(
    headers: dict[str, list[str]],
    *,
    subject: str,
    from_address: str,
    return_path: str | None,
    content_type: str,
    report_type: str,
) -> Classification:
    """Flags from lower-cased raw headers and a few decoded facts."""

    def first(name: str) -> str:
        values = headers.get(name)
        return values[0].strip().lower() if values else ""

    auto_submitted = first("auto-submitted").split(";")[0].strip()
    precedence = first("precedence")
    is_auto_generated = auto_submitted in {"auto-generated", "auto-notified"}
    is_auto_reply = (
        (bool(auto_submitted) and auto_submitted != "no" and not is_auto_generated)
        or precedence in {"bulk", "junk", "auto_reply"}
        or any(name in headers for name in _AUTO_REPLY_HEADERS)
        or bool(_AUTO_REPLY_SUBJECT.match(subject))
    )
    local_part = from_address.split("@", 1)[0].lower()
    is_bounce = (
        (return_path is not None and return_path.strip() in {"<>", ""})
        or local_part in _BOUNCE_LOCAL_PARTS
        or (content_type == "multipart/report" and report_type == "delivery-status")
        or any(name in headers for name in _BOUNCE_HEADERS)
    )
    is_mailing_list = precedence == "list" or any(name in headers for name in _LIST_HEADERS)
    return Classification(
        auto_submitted=auto_submitted,
        is_auto_reply=is_auto_reply,
        is_auto_generated=is_auto_generated,
        is_bounce=is_bounce,
        is_mailing_list=is_mailing_list,
    )


def is_reply_subject(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject))


def is_forward_subject(subject: str) -> bool:
    return bool(_FORWARD_PREFIX.match(subject))


def ticket_tag(number: int, prefix: str = TICKET_TAG_PREFIX) -> str:
    """The tag outgoing subjects carry so that replies find their ticket: `[AD#1234]`."""
    return f"[{prefix}#{number}]"


def subject_ticket_numbers(subject: str, prefix: str = TICKET_TAG_PREFIX) -> list[int]:
    """Ticket numbers tagged in a subject, in order of appearance, without repeats.

    Tolerates what mail clients and people do to a tag: case, spaces inside the
    brackets. The tag alone proves nothing: the caller checks the number against the
    sender's customer before attaching anything to a ticket.
    """
    pattern = re.compile(rf"\[\s*{re.escape(prefix)}\s*#\s*(\d{{1,9}})\s*\]", re.IGNORECASE)
    numbers: dict[int, None] = {}
    for match in pattern.finditer(subject):
        numbers.setdefault(int(match.group(1)), None)
    return list(numbers)
