"""The three webhook bodies, read into one shape: `AlertNotice`. Pure Python, no Django.

Terms:
- a **notice** is what one delivery says about one alert: `firing`, `resolved`, or
  `update` (an acknowledgement or comment: a note, no state change);
- its **key** names one incident of one alert, the de-duplication key:
  Alertmanager `fingerprint@startsAt` (the fingerprint is the label set's hash; a
  re-fire after a resolve has a new `startsAt`), Zabbix `event_id` (the recovery repeats
  the problem's id), generic `dedup_key` (events-v2: a trigger after a resolve with the
  same key is a new incident, hence `is_reusable_key`);
- **labels** are what the customer mapping looks at: Alertmanager labels, Zabbix tags
  (plus `host_name`, `host_ip`, `trigger_id`), generic `routing_key` and the `payload`'s
  `source`, `component`, `group`, `class` and scalar `custom_details`.

Every error is a `PayloadError` naming the field (`alerts[1].fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["firing", "resolved", "update"]
KEY_MAX = 255
SUMMARY_MAX = 300
BODY_MAX = 20_000


class PayloadError(ValueError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AlertNotice:
    key: str
    status: Status
    summary: str
    body: str
    severity: str  # the sender's word for it ("critical", "High"); "" when absent
    labels: Mapping[str, str]
    label_paths: Mapping[str, str]  # where each label sits in the payload, for errors
    labels_path: str  # where a missing label would sit
    payload: dict[str, Any]  # this alert alone, re-playable as a delivery of its own
    path: str = ""  # this alert inside the delivery: "alerts[1]"
    is_reusable_key: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def path_of(self, label: str) -> str:
        return self.label_paths.get(label, f"{self.labels_path}.{label}")


def decode(body: bytes) -> dict[str, Any]:
    """A request body as the JSON object every format is."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError(None, f"the body is not UTF-8 text ({error.reason})") from None
    if not text.strip():
        raise PayloadError(None, "the body is empty: a JSON object is expected")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise PayloadError(
            None, f"the body is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise PayloadError(None, "the body is not JSON: nested too deeply") from None
    if not isinstance(value, dict):
        raise PayloadError(None, f"the body must be a JSON object, not {type(value).__name__}")
    return without_nul(value) if "\\u0000" in text else value


def without_nul(value: Any) -> Any:
    """The value with U+0000 taken out of every string: PostgreSQL stores no NUL in text or
    jsonb, and no monitor means one."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def parse(
    kind: str, payload: Mapping[str, Any], *, severity_label: str = "severity"
) -> list[AlertNotice]:
    if not isinstance(payload, Mapping):
        raise PayloadError(None, "the body must be a JSON object")
    if kind == "alertmanager":
        return parse_alertmanager(payload, severity_label=severity_label)
    if kind == "zabbix":
        return [parse_zabbix(payload)]
    if kind == "generic":
        return [parse_generic(payload)]
    raise PayloadError(None, f"unknown source kind {kind!r}")


# --- helpers -------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, default=str)


def _str_map(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(path, "expected an object of names and values")
    return {str(k): _text(v) for k, v in value.items()}


def _required_text(payload: Mapping[str, Any], name: str, path: str) -> str:
    value = payload.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _text(value)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(path, "required: a non-empty string")
    return value.strip()


def _key(text: str) -> str:
    """Keys longer than the column are replaced by their hash, consistently."""
    return text if len(text) <= KEY_MAX else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:SUMMARY_MAX]


def _lines(pairs: Mapping[str, str]) -> str:
    return "\n".join(f"  {name} = {value}" for name, value in sorted(pairs.items()))


# --- Prometheus Alertmanager (webhook version 4) -------------------------------------------


def parse_alertmanager(payload: Mapping[str, Any], *, severity_label: str) -> list[AlertNotice]:
    version = payload.get("version")
    if version is not None and _text(version).strip('"') != "4":
        raise PayloadError("version", f"only version 4 is understood, not {version!r}")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts", "required: a list of alerts")
    group = {k: v for k, v in payload.items() if k != "alerts"}
    notices = []
    for index, alert in enumerate(alerts):
        path = f"alerts[{index}]"
        if not isinstance(alert, Mapping):
            raise PayloadError(path, "expected an object")
        status = alert.get("status")
        if status not in ("firing", "resolved"):
            raise PayloadError(f"{path}.status", f"firing or resolved, not {status!r}")
        fingerprint = _required_text(alert, "fingerprint", f"{path}.fingerprint")
        starts_at = _required_text(alert, "startsAt", f"{path}.startsAt")
        labels = _str_map(alert.get("labels"), f"{path}.labels")
        annotations = _str_map(alert.get("annotations"), f"{path}.annotations")
        name = labels.get("alertname", "alert")
        where = labels.get("instance", "")
        summary = (
            annotations.get("summary")
            or annotations.get("title")
            or (f"{name} on {where}" if where else name)
        )
        ends_at = _text(alert.get("endsAt"))
        lines = [_one_line(summary)]
        if annotations.get("description"):
            lines += ["", annotations["description"]]
        lines += ["", f"Started: {starts_at}"]
        if status == "resolved" and ends_at:
            lines.append(f"Ended: {ends_at}")
        lines += ["Labels:", _lines(labels)]
        for extra in ("runbook_url", "dashboard"):
            if annotations.get(extra):
                lines.append(f"{extra}: {annotations[extra]}")
        if alert.get("generatorURL"):
            lines.append(f"Source: {_text(alert.get('generatorURL'))}")
        notices.append(
            AlertNotice(
                key=_key(f"{fingerprint}@{starts_at}"),
                status=status,
                summary=_one_line(summary) or name,
                body="\n".join(lines)[:BODY_MAX],
                severity=labels.get(severity_label, ""),
                labels=labels,
                label_paths={label: f"{path}.labels.{label}" for label in labels},
                labels_path=f"{path}.labels",
                payload={**group, "status": status, "alerts": [dict(alert)]},
                path=path,
                extra={"ends_at": ends_at} if status == "resolved" else {},
            )
        )
    return notices


# --- Zabbix (the helpdesk media type, docs/monitoring.md) ----------------------------------


def _zabbix_tags(value: object) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise PayloadError("event_tags_json", f"not JSON: {error.msg}") from None
    if not isinstance(value, list):
        raise PayloadError("event_tags_json", 'expected a list of {"tag": ..., "value": ...}')
    tags: dict[str, str] = {}
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or "tag" not in item:
            raise PayloadError(f"event_tags_json[{index}]", 'expected {"tag": ..., "value": ...}')
        tags[_text(item["tag"])] = _text(item.get("value", ""))
    return tags


def parse_zabbix(payload: Mapping[str, Any]) -> AlertNotice:
    event_id = _required_text(payload, "event_id", "event_id")
    value = _text(payload.get("event_value")).strip('"')
    if value not in ("0", "1"):
        raise PayloadError("event_value", f"1 (problem) or 0 (recovery), not {value or None!r}")
    is_update = _text(payload.get("event_update_status")).strip('"') == "1"
    status: Status = "update" if is_update else ("firing" if value == "1" else "resolved")
    tags = _zabbix_tags(payload.get("event_tags_json"))
    labels = dict(tags)
    paths = {tag: f"event_tags_json.{tag}" for tag in tags}
    for name in ("host_name", "host_ip", "trigger_id"):
        if _text(payload.get(name)):
            labels[name], paths[name] = _text(payload.get(name)), name
    name = _text(payload.get("event_name")) or _text(payload.get("alert_subject"))
    summary = _one_line(name or f"Zabbix event {event_id}")
    host = _text(payload.get("host_name"))
    if host and host not in summary:
        summary = _one_line(f"{summary} on {host}")
    lines = [_text(payload.get("alert_message")) or summary]
    if _text(payload.get("event_opdata")):
        lines.append(f"Operational data: {_text(payload.get('event_opdata'))}")
    if tags:
        lines += ["Tags:", _lines(tags)]
    if _text(payload.get("zabbix_url")):
        lines.append(f"Zabbix: {_text(payload.get('zabbix_url'))} (event {event_id})")
    return AlertNotice(
        key=_key(event_id),
        status=status,
        summary=summary,
        body="\n".join(lines)[:BODY_MAX],
        severity=_text(payload.get("event_severity")),
        labels=labels,
        label_paths=paths,
        labels_path="event_tags_json",
        payload=dict(payload),
    )


# --- generic: the events-v2 shape ----------------------------------------------------------

_ACTIONS: dict[str, Status] = {"trigger": "firing", "acknowledge": "update", "resolve": "resolved"}
_PAYLOAD_LABELS = ("source", "component", "group", "class")


def parse_generic(payload: Mapping[str, Any]) -> AlertNotice:
    action = payload.get("event_action")
    if action not in _ACTIONS:
        raise PayloadError("event_action", f"trigger, acknowledge or resolve, not {action!r}")
    status = _ACTIONS[str(action)]
    details = payload.get("payload")
    if details is not None and not isinstance(details, Mapping):
        raise PayloadError("payload", "expected an object")
    details = details or {}
    if status == "firing":
        summary = _one_line(_required_text(details, "summary", "payload.summary"))
    else:
        summary = _one_line(_text(details.get("summary")))
    dedup_key = payload.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        raise PayloadError("dedup_key", "expected a string")
    if not dedup_key or not dedup_key.strip():
        if status != "firing":
            raise PayloadError("dedup_key", f"required to {action} an alert")
        # events-v2 makes one up; ours is derived, so a repeated trigger finds its ticket.
        dedup_key = (
            "derived:"
            + hashlib.sha256(f"{summary}\n{_text(details.get('source'))}".encode()).hexdigest()
        )
    labels: dict[str, str] = {}
    paths: dict[str, str] = {}
    if _text(payload.get("routing_key")):
        labels["routing_key"], paths["routing_key"] = _text(payload["routing_key"]), "routing_key"
    custom = details.get("custom_details")
    if isinstance(custom, Mapping):
        for name, value in custom.items():
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                labels[str(name)] = _text(value)
                paths[str(name)] = f"payload.custom_details.{name}"
    for name in _PAYLOAD_LABELS:  # the standard fields win over a custom one of that name
        if _text(details.get(name)):
            labels[name], paths[name] = _text(details[name]), f"payload.{name}"
    lines = [summary] if summary else []
    for name in (*_PAYLOAD_LABELS, "timestamp"):
        if _text(details.get(name)):
            lines.append(f"{name}: {_text(details.get(name))}")
    if isinstance(custom, Mapping) and custom:
        lines += ["Details:", _lines({str(k): _text(v) for k, v in custom.items()})]
    links = payload.get("links")
    if isinstance(links, list):
        lines += [f"Link: {_text(link.get('href'))}" for link in links if isinstance(link, Mapping)]
    if _text(payload.get("client_url")):
        lines.append(f"From: {_text(payload.get('client'))} {_text(payload.get('client_url'))}")
    return AlertNotice(
        key=_key(dedup_key.strip()),
        status=status,
        summary=summary or f"{action} {dedup_key.strip()}"[:SUMMARY_MAX],
        body="\n".join(lines)[:BODY_MAX],
        severity=_text(details.get("severity")),
        labels=labels,
        label_paths=paths,
        labels_path="payload",
        payload=dict(payload),
        is_reusable_key=True,
    )
