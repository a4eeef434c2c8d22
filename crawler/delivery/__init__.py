"""Deliver a report to a channel: a file, email (smtplib), a webhook (JSON POST), or any apprise URL.

Each channel gets only the alerts it has not had yet (``Store.mark_delivered`` records what went out,
after the send succeeded); failures are retried with exponential backoff and every delivery is written
to the delivery log (``storage.health.delivery_log``). Secrets come from environment variables named in
the channel's config and are never logged: log lines and recorded errors name the channel, not its URL.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from crawler.config import ChannelConfig, Config
from crawler.reports import jsondoc
from crawler.reports.data import Report, build_report
from crawler.reports.formats import render
from crawler.reports.output import write_text_atomic
from storage import Store
from storage.health import ensure_service_tables, record_delivery

log = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """A send failed; the message is safe to log (no secrets)."""


@dataclass
class DeliveryResult:
    channel: str
    outcome: str  # sent, failed, skipped
    attempts: int
    alerts: int
    alarms: int
    error: str | None = None


def deliver(store: Store, channel: ChannelConfig, config: Config | None = None, since: datetime | None = None,
            sleep: Callable[[float], None] = time.sleep) -> DeliveryResult:
    """Send ``channel`` what it has not had yet; mark those alerts delivered only after a successful send."""
    ensure_service_tables(store)
    report = build_report(store, channel=channel.channel_id, since=since, config=config)
    alerts, alarms = len(report.alert_ids), len(report.alarms)
    if report.is_empty and not report.alarms and not channel.send_empty:
        log.info("delivery %s: nothing new, nothing sent", channel.channel_id)
        record_delivery(store, channel.channel_id, "skipped", 0, 0, 0)
        return DeliveryResult(channel.channel_id, "skipped", 0, 0, 0)
    send = SENDERS[channel.kind]
    attempts, error = 0, None
    wait = channel.backoff_seconds
    while attempts < max(1, channel.attempts):
        attempts += 1
        try:
            send(channel, report)
            error = None
            break
        except Exception as exc:  # every failure is retried, then recorded
            error = _safe_error(exc, channel)
            log.warning("delivery %s: attempt %d of %d failed: %s", channel.channel_id, attempts,
                        channel.attempts, error)
            if attempts < channel.attempts:
                sleep(wait)
                wait *= 2
    if error is not None:
        record_delivery(store, channel.channel_id, "failed", attempts, alerts, alarms, error)
        return DeliveryResult(channel.channel_id, "failed", attempts, alerts, alarms, error)
    store.mark_delivered(report.alert_ids, channel.channel_id)
    record_delivery(store, channel.channel_id, "sent", attempts, alerts, alarms)
    log.info("delivery %s: sent %d alerts and %d alarms (attempt %d)", channel.channel_id, alerts, alarms,
             attempts)
    return DeliveryResult(channel.channel_id, "sent", attempts, alerts, alarms)


def deliver_all(store: Store, config: Config) -> list[DeliveryResult]:
    return [deliver(store, channel, config) for channel in config.enabled_channels()]


REPORT_DIR_CHANNEL = "report-dir"


def write_report_files(store: Store, out_dir: Path, formats: list[str], config: Config | None = None,
                       channel: str = REPORT_DIR_CHANNEL) -> list[Path]:
    """The monitor's own report files: ``latest.<ext>`` always (crawl health is always current), and a
    dated copy when there are alerts; the alerts are then marked delivered to ``channel``."""
    from crawler.reports.formats import SUFFIXES

    report = build_report(store, channel=channel, config=config)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for fmt in formats:
        text = render(report, fmt)
        names = ["latest"] + ([f"report-{report.generated_at:%Y%m%dT%H%M%S}"] if not report.is_empty else [])
        for name in names:
            paths.append(write_text_atomic(out_dir / f"{name}{SUFFIXES[fmt]}", text))
    store.mark_delivered(report.alert_ids, channel)
    return paths


def subject(report: Report) -> str:
    c = report.counts
    parts = [f"{c['new']} new", f"{c['follow_up']} follow-ups", f"{c['changed']} changed"]
    if c["alarms"]:
        parts.append(f"{c['alarms']} crawl alarms")
    return "talkwatch: " + ", ".join(parts)


# --- senders -----------------------------------------------------------------------------------------

def send_file(channel: ChannelConfig, report: Report) -> None:
    write_text_atomic(Path(channel.path), render(report, channel.format))


def send_email(channel: ChannelConfig, report: Report) -> None:
    message = EmailMessage()
    message["Subject"] = subject(report)
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    # a plain-text part always; the HTML report as the alternative when asked for
    from crawler.reports import markdown

    message.set_content(markdown.render(report))
    if channel.format == "html":
        message.add_alternative(render(report, "html"), subtype="html")
    password = channel.secret(channel.password_env)
    with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=channel.timeout_seconds) as smtp:
        if channel.starttls:
            smtp.starttls()
        if channel.username:
            if not password:
                raise DeliveryError(f"{channel.password_env} is not set "
                                    f"(the SMTP password for {channel.username})")
            smtp.login(channel.username, password)
        smtp.send_message(message)


def send_webhook(channel: ChannelConfig, report: Report) -> None:
    url = channel.target_url()
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("the webhook URL is not http(s)")
    body = json.dumps(jsondoc.to_data(report), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "talkwatch"}
    token = channel.secret(channel.token_env)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=channel.timeout_seconds) as response:
        if not 200 <= response.status < 300:
            raise DeliveryError(f"webhook answered HTTP {response.status}")


def send_apprise(channel: ChannelConfig, report: Report) -> None:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(channel.target_url()):
        raise DeliveryError("apprise does not understand the channel's URL")
    fmt = {"html": apprise.NotifyFormat.HTML, "md": apprise.NotifyFormat.MARKDOWN}.get(
        channel.format, apprise.NotifyFormat.TEXT)
    body = render(report, channel.format if channel.format in ("html", "md") else "md")
    if not notifier.notify(title=subject(report), body=body, body_format=fmt):
        raise DeliveryError("apprise could not deliver the notification")


SENDERS: dict[str, Callable[[ChannelConfig, Report], None]] = {
    "file": send_file, "email": send_email, "webhook": send_webhook, "apprise": send_apprise,
}


def _safe_error(exc: BaseException, channel: ChannelConfig) -> str:
    """The failure in words, with every secret (URL, token, password) cut out."""
    if isinstance(exc, urllib.error.HTTPError):
        text = f"HTTP {exc.code} {exc.reason}"
    elif isinstance(exc, urllib.error.URLError):
        text = f"cannot reach the server: {exc.reason}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    secrets = (channel.target_url(), channel.secret(channel.password_env), channel.secret(channel.token_env),
               channel.secret(channel.url_env))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:500]
