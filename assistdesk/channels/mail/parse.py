"""Raw message bytes to a `ParsedMessage`, whatever the bytes are.

`parse()` never raises. Mail that is merely sloppy (a wrong charset, no Date, no
Message-ID, a truncated multipart, raw UTF-8 in headers) parses with `defects` listed
and is handled like any other; mail that cannot be used at all (no sender address,
empty, or something the parser chokes on) comes back with `error` set, so the caller
quarantines it with the bytes kept.

The text and HTML bodies are the inline text/plain and text/html parts (several are
joined: Apple Mail splits a body around inline images); a message with only HTML gets
its text derived from the HTML. `visible_text` is the new part of a reply (see
`text.visible_part`), except for forwards, whose quoted part *is* the request.
"""

from __future__ import annotations

import email
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message

from assistdesk.channels.mail import classify as classify_module
from assistdesk.channels.mail import headers as h
from assistdesk.channels.mail import text as text_module
from assistdesk.channels.mail.headers import Address

MAX_FILENAME_LENGTH = 150
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\.|$)", re.IGNORECASE)
_UNSAFE_FILENAME_CHARS = re.compile(r'[<>:"/\\|?*]')


@dataclass(frozen=True)
class ParsedAttachment:
    """One attachment or inline part; `index` is its position in the MIME walk."""

    index: int
    filename: str
    content_type: str
    content: bytes = field(repr=False)
    is_inline: bool
    content_id: str

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    is_message_id_synthesised: bool
    in_reply_to: str
    references: tuple[str, ...]
    from_address: str
    from_name: str
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    return_path: str | None
    subject: str
    date: datetime
    is_date_fallback: bool
    received_at: datetime
    text: str
    html: str  # sanitised
    visible_text: str
    attachments: tuple[ParsedAttachment, ...]
    auto_submitted: str
    is_auto_reply: bool
    is_auto_generated: bool
    is_bounce: bool
    is_mailing_list: bool
    is_forward: bool
    ticket_numbers: tuple[int, ...]
    size: int
    defects: tuple[str, ...]
    error: str | None  # set when the message cannot be used; quarantine it

    @property
    def is_malformed(self) -> bool:
        return self.error is not None

    @property
    def must_not_answer(self) -> bool:
        """True for mail that must never get an answer of any kind (no mail loops)."""
        return (
            self.is_auto_reply or self.is_auto_generated or self.is_bounce or (self.is_mailing_list)
        )


def safe_filename(name: str | None, content_type: str, index: int) -> str:
    """A file name safe to store and to offer for download.

    No directory parts, no control or bidi-override characters (U+202E makes
    `invoice_fdp.exe` look like `invoice_exe.pdf`), no leading dots, no Windows
    device names, at most MAX_FILENAME_LENGTH characters with the extension kept.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_FILENAME_CHARS.sub("_", name).strip().lstrip(".").rstrip(". ")
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


def _raw_headers(message: Message) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        result.setdefault(name.lower(), []).append(str(value))
    return result


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _walk(message: Message) -> list[Message]:
    """Leaf parts in order; an attached message (message/rfc822) is one leaf."""
    if message.get_content_maintype() == "multipart":
        payload = message.get_payload()
        parts: list[Message] = []
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    parts.extend(_walk(sub))
        return parts
    return [message]


def _part_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822" or part.get_content_maintype() == "message":
        payload = part.get_payload()
        if isinstance(payload, list):
            return b"".join(p.as_bytes() for p in payload if isinstance(p, Message))
        return str(payload).encode("utf-8", "surrogateescape")
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _bodies_and_attachments(
    message: Message, defects: list[str]
) -> tuple[str, str, tuple[ParsedAttachment, ...]]:
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    for index, part in enumerate(_walk(message)):
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        try:
            raw_filename = part.get_filename()
        except (TypeError, ValueError, LookupError):
            raw_filename = None
        filename = h.decode_header_value(raw_filename, defects, "filename") or None
        is_body = (
            content_type in {"text/plain", "text/html"}
            and disposition != "attachment"
            and not filename
        )
        if is_body:
            data = _part_bytes(part)
            body = h.decode_bytes(data, part.get_content_charset(), defects, content_type)
            if content_type == "text/plain":
                if part.get_param("format", "").lower() == "flowed":  # type: ignore[union-attr]
                    delsp = str(part.get_param("delsp", "no")).lower() == "yes"
                    body = text_module.unflow(body, delsp=delsp)
                texts.append(body)
            else:
                htmls.append(body)
            continue
        if content_type in {"message/delivery-status", "text/rfc822-headers"}:
            continue  # the machine-readable half of a bounce: kept in the raw bytes
        content_id = h.parse_message_id(part.get("Content-ID"))
        extension_type = "message/rfc822" if content_type == "message/rfc822" else content_type
        attachments.append(
            ParsedAttachment(
                index=index,
                filename=safe_filename(
                    filename or ("forwarded.eml" if content_type == "message/rfc822" else None),
                    extension_type,
                    index,
                ),
                content_type=content_type,
                content=_part_bytes(part),
                is_inline=disposition == "inline" or (disposition is None and bool(content_id)),
                content_id=content_id.strip("<>"),
            )
        )
    text = "\n".join(t.rstrip("\n") for t in texts if t.strip())
    html = "\n".join(htmls)
    return text, html, tuple(attachments)


def _summarise_defects(message: Message, defects: list[str]) -> None:
    for part in message.walk():
        for defect in getattr(part, "defects", []):
            defects.append(f"mime: {type(defect).__name__}")


def parse(raw: bytes, *, received_at: datetime) -> ParsedMessage:
    """Parse one message; never raises (see the module docstring)."""
    try:
        return _parse(raw, received_at=received_at)
    except Exception as exc:  # the contract is "never raises"
        return _unusable(raw, received_at, f"unparseable: {type(exc).__name__}: {exc}"[:500])


def _unusable(raw: bytes, received_at: datetime, error: str) -> ParsedMessage:
    return ParsedMessage(
        message_id=h.synthesise_message_id(raw),
        is_message_id_synthesised=True,
        in_reply_to="",
        references=(),
        from_address="",
        from_name="",
        reply_to=(),
        to=(),
        cc=(),
        return_path=None,
        subject="",
        date=received_at,
        is_date_fallback=True,
        received_at=received_at,
        text="",
        html="",
        visible_text="",
        attachments=(),
        auto_submitted="",
        is_auto_reply=False,
        is_auto_generated=False,
        is_bounce=False,
        is_mailing_list=False,
        is_forward=False,
        ticket_numbers=(),
        size=len(raw),
        defects=(),
        error=error,
    )


def _parse(raw: bytes, *, received_at: datetime) -> ParsedMessage:
    if not raw.strip():
        return _unusable(raw, received_at, "empty message")
    message = email.message_from_bytes(raw, policy=policy.compat32)
    headers = _raw_headers(message)
    defects: list[str] = []
    if not headers:
        return _unusable(raw, received_at, "no headers")

    message_id = h.parse_message_id(_first(headers, "message-id"))
    synthesised = not message_id
    if synthesised:
        defects.append("message-id: missing")
        message_id = h.synthesise_message_id(raw)
    in_reply_to = next(iter(h.parse_message_ids(_first(headers, "in-reply-to"))), "")
    references = tuple(h.parse_message_ids(" ".join(headers.get("references", []))))

    senders = h.parse_addresses(headers.get("from", []), defects, "from")
    if not senders:
        # Some scripts send without From; Sender, then Reply-To, says who it is.
        for fallback in ("sender", "reply-to"):
            senders = h.parse_addresses(headers.get(fallback, []), defects, fallback)
            if senders:
                defects.append(f"from: missing, {fallback} used")
                break
    return_path_raw = _first(headers, "return-path")
    return_path = None if return_path_raw is None else return_path_raw.strip()
    subject = h.decode_subject(_first(headers, "subject"), defects)
    date, is_date_fallback = h.parse_date(
        _first(headers, "date"), received_at=received_at, defects=defects
    )
    text, html, attachments = _bodies_and_attachments(message, defects)
    if not text and html:
        text = text_module.html_to_text(html)
    is_forward = classify_module.is_forward_subject(subject)
    flags = classify_module.classify(
        headers,
        subject=subject,
        from_address=senders[0].address if senders else "",
        return_path=return_path,
        content_type=message.get_content_type(),
        report_type=str(message.get_param("report-type", "")).lower(),
    )
    _summarise_defects(message, defects)
    error = None
    if not senders and not flags.is_bounce:
        error = "no sender address"
    return ParsedMessage(
        message_id=message_id,
        is_message_id_synthesised=synthesised,
        in_reply_to=in_reply_to,
        references=references,
        from_address=senders[0].address if senders else "",
        from_name=senders[0].name if senders else "",
        reply_to=tuple(h.parse_addresses(headers.get("reply-to", []), defects, "reply-to")),
        to=tuple(h.parse_addresses(headers.get("to", []), defects, "to")),
        cc=tuple(h.parse_addresses(headers.get("cc", []), defects, "cc")),
        return_path=return_path,
        subject=subject,
        date=date,
        is_date_fallback=is_date_fallback,
        received_at=received_at,
        text=text,
        html=text_module.sanitise_html(html),
        visible_text=text if is_forward else text_module.visible_part(text),
        attachments=attachments,
        auto_submitted=flags.auto_submitted,
        is_auto_reply=flags.is_auto_reply,
        is_auto_generated=flags.is_auto_generated,
        is_bounce=flags.is_bounce,
        is_mailing_list=flags.is_mailing_list,
        is_forward=is_forward,
        ticket_numbers=tuple(classify_module.subject_ticket_numbers(subject)),
        size=len(raw),
        defects=tuple(dict.fromkeys(defects)),
        error=error,
    )
