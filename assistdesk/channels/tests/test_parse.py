"""The mail parser over a corpus of real-world-shaped messages, and its parts.

No database: `assistdesk.channels.mail` is pure Python.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistdesk.channels.mail import headers
from assistdesk.channels.mail.classify import subject_ticket_numbers, ticket_tag
from assistdesk.channels.mail.parse import parse, safe_filename
from assistdesk.channels.mail.text import html_to_text, sanitise_html, visible_part
from assistdesk.channels.tests.conftest import EML_DIR, eml

RECEIVED = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)

# file: the facts that matter about it (anything not listed is checked elsewhere).
CORPUS = {
    "plain_utf8_it.eml": dict(
        from_address="marco.rossi@edil-rossi.it",
        subject="Stampante non funziona",
        date=datetime(2025, 3, 3, 8, 12, 40, tzinfo=UTC),
        visible_contains="non stampa più da stamattina",
    ),
    "multipart_alternative_latin1_fr.eml": dict(
        from_name="Élodie Lefèvre",
        subject="Re: [AD#42] Le VPN ne se connecte pas",
        ticket_numbers=(42,),
        in_reply_to="<ad.0123456789abcdef@helpdesk.example>",
        references=("<CAF0000root@mail.gmail.com>", "<ad.0123456789abcdef@helpdesk.example>"),
        visible_contains="erreur 809",
        visible_excludes="a bien été reçue",
    ),
    "windows1252_it.eml": dict(
        visible_contains="1.200 € per il “server nuovo” è approvato",
        message_id="<001a01db8d$5e0c2f30$1a248d90$@studio-verde.it>",
    ),
    "base64_utf8_ro.eml": dict(
        from_name="Ștefan Țurcanu",
        subject="Imprimanta nu funcționează",
        visible_contains="de azi-dimineață nu mai putem printa",
    ),
    "attachments_unsafe_names.eml": dict(
        attachments=[
            ("devis signé.pdf", "application/pdf", False),
            ("passwd", "text/plain", False),
            ("invoicefdp.exe", "application/octet-stream", False),
            ("attachment-4.bin", "application/octet-stream", False),
        ],
    ),
    "inline_image_outlook.eml": dict(
        attachments=[("image001.png", "image/png", True)],
        html_contains='src="cid:image001.png@01DB91A2.5F0E3C40"',
        html_excludes="tracker.example",
    ),
    "forwarded_rfc822.eml": dict(
        is_forward=True,
        attachments=[("forwarded.eml", "message/rfc822", False)],
        # A forward's quoted part is the request: it stays visible.
        visible_contains="expires on 31 March",
    ),
    "outlook_reply_it.eml": dict(
        ticket_numbers=(1234,),
        visible_contains="non è cambiato niente",
        visible_excludes="Original Message",
    ),
    "gmail_reply_signature_en.eml": dict(
        from_name="Walker, Paul",
        visible_contains="you sent but it drops after five minutes",
        visible_excludes="Acme Logistics",
    ),
    "iphone_reply_ro.eml": dict(visible="Mulțumesc, acum funcționează."),
    "auto_reply_it.eml": dict(is_auto_reply=True, ticket_numbers=(12,)),
    "auto_reply_x_autoreply.eml": dict(is_auto_reply=True),
    "bounce_postfix.eml": dict(is_bounce=True),
    "mailing_list.eml": dict(is_mailing_list=True, is_auto_reply=False),
    "newsletter_precedence_bulk.eml": dict(is_auto_reply=True),
    "monitoring_alert.eml": dict(is_auto_generated=True, is_auto_reply=False),
    "broken_mime.eml": dict(
        subject="Server giù e ancora più",
        is_date_fallback=True,
        visible_contains="Il server è giù da stamattina, però",
        defects_include="mime: CloseBoundaryNotFoundDefect",
    ),
    "missing_message_id.eml": dict(is_message_id_synthesised=True, is_date_fallback=True),
    "html_xss.eml": dict(visible_contains="Please pay this invoice"),
    "no_from_sender_only.eml": dict(
        from_address="webform@studio-verde.it", defects_include="from: missing, sender used"
    ),
    "no_sender_at_all.eml": dict(error="no sender address"),
    "raw_utf8_headers.eml": dict(
        from_name="Ufficio Amministrazione ☎", subject="Fattura errata \u2013 ùàé"
    ),
}
NOT_ANSWERABLE = {
    "auto_reply_it.eml",
    "auto_reply_x_autoreply.eml",
    "bounce_postfix.eml",
    "mailing_list.eml",
    "newsletter_precedence_bulk.eml",
    "monitoring_alert.eml",
}


def test_the_corpus_table_covers_every_file():
    assert {p.name for p in EML_DIR.glob("*.eml")} == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus(name):
    expected = dict(CORPUS[name])
    parsed = parse(eml(name), received_at=RECEIVED)

    if "error" not in expected:
        assert parsed.error is None
    assert parsed.must_not_answer == (name in NOT_ANSWERABLE)
    assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")
    assert parsed.date.tzinfo is not None and parsed.date.utcoffset().total_seconds() == 0
    for key, value in expected.items():
        if key == "visible_contains":
            assert value in parsed.visible_text
        elif key == "visible_excludes":
            assert value not in parsed.visible_text
        elif key == "visible":
            assert parsed.visible_text == value
        elif key == "html_contains":
            assert value in parsed.html
        elif key == "html_excludes":
            assert value not in parsed.html
        elif key == "defects_include":
            assert value in parsed.defects
        elif key == "attachments":
            assert [(a.filename, a.content_type, a.is_inline) for a in parsed.attachments] == value
        else:
            assert getattr(parsed, key) == value, key


def test_the_whole_original_text_is_kept_beside_the_visible_part():
    parsed = parse(eml("outlook_reply_it.eml"), received_at=RECEIVED)
    assert "-----Original Message-----" in parsed.text
    assert "-----Original Message-----" not in parsed.visible_text


def test_a_missing_message_id_is_synthesised_from_the_bytes_stably():
    raw = eml("missing_message_id.eml")
    first = parse(raw, received_at=RECEIVED).message_id
    assert first == parse(raw.replace(b"\n", b"\r\n"), received_at=RECEIVED).message_id
    assert first != parse(raw + b"PS\n", received_at=RECEIVED).message_id


def test_a_date_falls_back_to_arrival_when_missing_or_broken():
    parsed = parse(eml("missing_message_id.eml"), received_at=RECEIVED)
    assert (parsed.date, parsed.is_date_fallback) == (RECEIVED, True)
    future = eml("plain_utf8_it.eml").replace(b"Mon, 03 Mar 2025", b"Mon, 03 Mar 2031")
    assert parse(future, received_at=RECEIVED).date == RECEIVED


def test_attachment_bytes_are_decoded():
    parsed = parse(eml("attachments_unsafe_names.eml"), received_at=RECEIVED)
    assert parsed.attachments[0].content.startswith(b"%PDF-1.4")
    assert parsed.attachments[0].size == len(parsed.attachments[0].content)
    forwarded = parse(eml("forwarded_rfc822.eml"), received_at=RECEIVED).attachments[0]
    assert b"Message-ID: <vendor-123@vendor.example>" in forwarded.content


# --- HTML: the three attacks, one by one ------------------------------------------------


def test_sanitised_html_has_no_script():
    html = parse(eml("html_xss.eml"), received_at=RECEIVED).html
    assert "<script" not in html.lower()
    assert "document.cookie" not in html and "alert('head')" not in html
    assert "<iframe" not in html and "<form" not in html and "<svg" not in html


def test_sanitised_html_has_no_event_handlers():
    html = parse(eml("html_xss.eml"), received_at=RECEIVED).html.lower()
    for handler in ("onerror", "onload", "onclick", "onmouseover"):
        assert handler not in html
    assert '<a href="https://example.com/ok"' in html  # harmless links survive


def test_sanitised_html_has_no_javascript_urls():
    html = parse(eml("html_xss.eml"), received_at=RECEIVED).html.lower()
    assert "javascript:" not in html
    assert "this invoice</a>" in html  # the text stays, the link goes


@pytest.mark.parametrize(
    "dirty",
    [
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<img src="javascript:alert(1)">',
        "<scr<script>ipt>alert(1)</script>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    ],
)
def test_sanitiser_against_classic_bypasses(dirty):
    clean = sanitise_html(dirty).lower()
    assert "javascript" not in clean and "onerror" not in clean and "<script" not in clean


def test_html_to_text_marks_blockquotes_as_quotes():
    text = html_to_text("<p>New <b>text</b></p><blockquote><p>old</p></blockquote><p>&nbsp;</p>")
    assert text == "New text\n\n> old\n"
    assert visible_part(text) == "New text"


# --- quote and signature stripping ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Desk <d@x.example> wrote:\n> old\n", "Thanks!"),
        (
            "Grazie\n\nIl giorno lun 3 mar 2025 alle ore 10:00 Desk <d@x> ha scritto:\n> a\n",
            "Grazie",
        ),
        ("Merci\n\nLe lun. 3 mars 2025 à 10:00, Desk <d@x> a écrit :\n> a\n", "Merci"),
        ("Mersi\n\nÎn lun., 3 mar. 2025 la 10:00, Desk <d@x> a scris:\n> a\n", "Mersi"),
        ("Ok\n\nOn Mon, 3 Mar 2025 at 10:00, Very Long Name\n<d@x.example> wrote:\n> a\n", "Ok"),
        ("Done\n-----Original Message-----\nFrom: a\nSent: b\n\nold\n", "Done"),
        ("Fatto\n\nDa: Desk <d@x>\nInviato: lunedì\nA: me\nOggetto: x\n\nold\n", "Fatto"),
        ("Fait\n\nDe : Desk\nEnvoyé : lundi\nÀ : moi\n\nold\n", "Fait"),
        ("Gata\n\nDe la: Desk\nTrimis: luni\n\nold\n", "Gata"),
        ("Yes\n\n________________________________\nFrom: Desk\nSent: Monday\n\nold", "Yes"),
        ("Top\n> quoted\nmore\n", "Top\nmore"),
        ("Body\n-- \nJohn\n+44 1234\n", "Body"),
        ("Body\n\nSent from my iPhone\n", "Body"),
        ("Corpo\n\nInviato da iPhone\n", "Corpo"),
        ("Texte\n\nEnvoyé de mon iPhone\n", "Texte"),
        ("Text\n\nTrimis de pe iPhone\n", "Text"),
        ("Body\n\nGet Outlook for Android\n", "Body"),
        # Sentences that only look like markers stay.
        (
            "Get the mail server back up please\nthanks",
            "Get the mail server back up please\nthanks",
        ),
        ("Sent from the accounting office\nok", "Sent from the accounting office\nok"),
        ("From: the boss, urgent\nplease", "From: the boss, urgent\nplease"),
    ],
)
def test_visible_part(text, visible):
    assert visible_part(text) == visible


# --- headers, names, tags -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?utf-8?q?R=C3=A9ponse?= automatique", "Réponse automatique"),
        ("=?UTF-8?B?w4h0w6k=?= =?UTF-8?B?IMOgIG1vaQ==?=", "Èté à moi"),
        ("=?iso-8859-1?q?caf=E9?=", "café"),
        ("=?windows-1252?q?=80_100?=", "€ 100"),
        ("=?utf-8*it?q?citt=C3=A0?=", "città"),
        ("=?x-unknown?q?gi=C3=B9?=", "giù"),
        ("=?utf-8?b?not base64!?=", "=?utf-8?b?not base64!?="),
        ("folded\r\n  subject", "folded  subject"),
    ],
)
def test_header_decoding(raw, decoded):
    assert headers.decode_header_value(raw, []) == decoded


def test_addresses_keep_commas_inside_encoded_names():
    parsed = headers.parse_addresses(
        ["=?utf-8?q?Rossi=2C_Mario?= <M.Rossi@X.it>, b@y.fr"], [], "to"
    )
    assert parsed == [
        headers.Address("Rossi, Mario", "m.rossi@x.it"),
        headers.Address("", "b@y.fr"),
    ]


def test_over_long_message_ids_are_hashed_consistently():
    long_id = "<" + "a" * 400 + "@x>"
    assert len(headers.parse_message_id(long_id)) <= headers.MAX_MESSAGE_ID_LENGTH
    assert headers.parse_message_ids(f"<b@x> {long_id}")[1] == headers.parse_message_id(long_id)


@pytest.mark.parametrize(
    ("subject", "numbers"),
    [
        ("Re: [AD#1234] Printer", [1234]),
        ("[ad # 7] and [AD#8] and [AD#7]", [7, 8]),
        ("AD#12 without brackets", []),
        ("[TKT-5] other format", []),
    ],
)
def test_subject_ticket_numbers(subject, numbers):
    assert subject_ticket_numbers(subject) == numbers


def test_ticket_tag_round_trips():
    assert subject_ticket_numbers(f"Re: {ticket_tag(987)} x") == [987]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\x00b\x1fc.txt", "abc.txt"),
        (".htaccess", "htaccess"),
        ("CON.txt", "_CON.txt"),
        ('what?<>:"|*.doc', "what_______.doc"),
        ("", "attachment-3.pdf"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name, "application/pdf", 3) == safe


# --- never raises -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_arbitrary_bytes(raw):
    parsed = parse(raw, received_at=RECEIVED)
    assert parsed.message_id and parsed.received_at == RECEIVED


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(sorted(CORPUS)),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_parse_never_raises_on_damaged_corpus_messages(name, cuts, seed):
    raw = bytearray(eml(name))
    rng = random.Random(seed)
    for cut in cuts:
        position = cut % max(len(raw), 1)
        raw[position : position + rng.randint(0, 40)] = bytes(
            rng.randrange(256) for _ in range(rng.randint(0, 8))
        )
    parsed = parse(bytes(raw), received_at=RECEIVED)
    assert parsed.message_id


def test_generated_support_mail_parses_as_the_generator_says(shared_dir, tmp_path):
    """The shared generator's mix: replies, auto-replies, bounces, alerts, malformed."""
    out = tmp_path / "mail"
    subprocess.run(
        [sys.executable, str(shared_dir / "bench" / "gen_emails.py"), "--count", "400",
         "--seed", "3", "--out", str(out), "--tag-format", "[AD#{n}]"],
        check=True, capture_output=True,
    )  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "mail.manifest.csv").open(encoding="utf-8")))
    kinds = {row["kind"] for row in rows}
    assert {"new", "reply", "autoreply", "bounce", "alert", "malformed"} <= kinds
    for row in rows:
        parsed = parse((out / row["file"]).read_bytes(), received_at=RECEIVED)
        kind = row["kind"]
        assert parsed.error is None, row
        assert parsed.is_bounce == (kind == "bounce"), row
        assert parsed.is_auto_generated == (kind == "alert"), row
        if kind == "autoreply":
            assert parsed.is_auto_reply, row
        if kind in {"new", "reply", "malformed"}:
            assert not parsed.must_not_answer, row
        if row["message_id"]:
            assert parsed.message_id == row["message_id"], row
        if row["reply_mode"] in {"ack_reply", "tag_only"}:
            assert int(row["ticket"]) in parsed.ticket_numbers, row
        if row["probe"]:
            assert row["probe"] in " ".join(parsed.visible_text.split()), row
        if kind == "reply" and row["reply_mode"] != "tag_only":
            assert parsed.in_reply_to == row["in_reply_to"], row
