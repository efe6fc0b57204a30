"""Mail bodies for people: HTML made safe, HTML made text, replies cut to what is new.

- `sanitise_html`: nh3 (ammonia) with an allow-list. Scripts and styles go with their
  content, every `on*` handler goes (ammonia allows no event attribute), links keep only
  http/https/mailto, images only `cid:` (inline parts: a remote image is a read receipt
  for whoever sent it).
- `html_to_text`: for HTML-only mail. Blockquotes become `> ` lines so that the same
  quote stripping works on both kinds of body.
- `visible_part`: the new text of a reply: cut at the first quote header ("On … wrote:"
  and its Italian, French and Romanian forms, Outlook's "-----Original Message-----" or
  From/Sent block), drop `>` lines, cut at a `-- ` signature or a mobile signature. The
  caller keeps the whole text too; this is for display and for the ticket thread.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "font": {"color"},
    "*": {"dir", "lang"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith("cid:") else None
    if tag == "a" and attribute == "href" and value.strip().lower().startswith("cid:"):
        return None
    return value


def sanitise_html(html: str) -> str:
    """HTML safe to show on a staff or portal page (still to be framed by a CSP)."""
    if not html.strip():
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_attribute,
    )


_BLOCK_TAGS = {
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
    "tr", "ul",
}  # fmt: skip
_SKIPPED_TAGS = {"script", "style", "head", "title", "template", "noscript", "xml"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.depth = 0
        self.skipping = 0
        self.pre = 0

    def flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        for line in text.split("\n"):
            self.lines.append((self.depth, line if self.pre else " ".join(line.split())))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag == "blockquote":
                self.depth += 1
            elif tag == "pre":
                self.pre += 1
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.current.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data.replace("\xa0", " ") if not self.pre else data)

    def text(self) -> str:
        self.flush()
        out: list[str] = []
        for depth, line in self.lines:
            if not line.strip():
                if out and out[-1] != "":
                    out.append("")
                continue
            out.append("> " * depth + line)
        return "\n".join(out).strip() + "\n" if out else ""


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body (blockquotes as `> ` lines)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser's reaction to some broken markup
        pass
    return parser.text()


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: a line ending in a space continues on the next one."""
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- "
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


_ATTRIBUTION = re.compile(
    r"^\s*(?:On|Il giorno|Il|Le|În|In|Am|El|Op)\b.{0,300}?"
    r"(?:wrote|ha scritto|a écrit|a scris|schrieb|escribió|schreef)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Messaggio originale|Message d'origine|Mesaj original|"
    r"Ursprüngliche Nachricht|Mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Da|De|De la|Von|Van)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Inviato|Data|Envoyé|Trimis|Gesendet|Enviado|Verzonden)\s*:",
    re.IGNORECASE,
)
# Outlook's text/plain stand-in for an inline image.
_CID_PLACEHOLDER = re.compile(r"^\s*\[cid:[^\]]+\]\s*$")
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from|Sent via|Get Outlook for|Inviato da|Inviato dal|Envoyé de|Envoyé depuis|"
    r"Envoyé à partir de|Obtenir Outlook pour|Trimis de pe|Trimis de|Trimis din|Von meinem|"
    r"Gesendet von)\b"
    r".{0,40}\b(?:iPhone|iPad|Android|iOS|Samsung|Galaxy|BlackBerry|Huawei|Xiaomi|Pixel|"
    r"Outlook|Mail|smartphone|mobile|cellulare|téléphone|telefon|tabletă|mobil)\b.{0,20}$",
    re.IGNORECASE,
)


def _quote_header_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _ORIGINAL_MESSAGE.match(line):
        return True
    if _OUTLOOK_FROM.match(line) or _UNDERSCORES.match(line):
        return any(_OUTLOOK_SENT.match(nxt) for nxt in lines[i + 1 : i + 5])
    # An attribution may be wrapped over up to three lines by the sending client.
    for span in (1, 2, 3):
        window = " ".join(lines[i : i + span])
        if window.rstrip().endswith(":") and _ATTRIBUTION.match(window):
            return True
    return False


def visible_part(text: str) -> str:
    """The new text of a message: quoted replies and signatures removed."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        if stripped in {"--", "-- "} or line == "-- ":
            break
        if _MOBILE_SIGNATURE.match(stripped):
            break
        if _quote_header_at(lines, i):
            break
        if line.lstrip().startswith(">") or _CID_PLACEHOLDER.match(line):
            continue
        kept.append(stripped)
    visible = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", visible)
