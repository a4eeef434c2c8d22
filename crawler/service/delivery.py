"""Deliver a report to a channel: a file, email (smtplib), a webhook (JSON POST), or any apprise URL.

Each channel gets only the alerts it has not had yet (``store.alerts.mark_delivered`` records what went out,
after the send succeeded); failures that may heal are retried with exponential backoff (those that cannot,
such as an HTTP 4xx or a refused recipient, are not) and every delivery is written
to the delivery log (``store.runs.record_delivery``). Secrets come from environment variables named in
the channel's config and are never logged: log lines and recorded errors name the channel, not its URL.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from pathlib import Path
from typing import IO, Any, NoReturn

from crawler.reports import jsondoc, text
from crawler.reports.data import Report, build_report
from crawler.reports.formats import render
from crawler.reports.output import write_text_atomic
from crawler.secrets import mask_secrets
from crawler.service.config import ChannelConfig, Config
from storage.store import Store

log = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """A send failed; the message is safe to log (no secrets)."""


class PermanentDeliveryError(DeliveryError):
    """A send that cannot succeed by trying again (a missing secret, a refused address, a bad URL)."""


# HTTP answers that say "this request will never work" (a retry may help only with 408, 425 and 429)
_RETRYABLE_4XX = {408, 425, 429}
_SMTP_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError,
                  smtplib.SMTPNotSupportedError)


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
    """Send ``channel`` what it has not had yet and wants (its subscriptions and mutes, set on the desk);
    mark those alerts delivered, with the ones its rules left out, only after a successful send."""
    from crawler.web.subscriptions import narrow_report  # the desk keeps the channels' rules

    report, left_out = narrow_report(store, build_report(store, channel=channel.channel_id, since=since,
                                                         config=config))
    if left_out:
        store.alerts.mark_delivered(left_out, channel.channel_id)  # not wanted: never sent, never asked again
    alerts, alarms = len(report.alert_ids), len(report.alarms)
    if report.is_empty and not report.alarms and not channel.send_empty:
        log.info("delivery %s: nothing new, nothing sent", channel.channel_id)
        store.runs.record_delivery(channel.channel_id, "skipped", 0, 0, 0)
        return DeliveryResult(channel.channel_id, "skipped", 0, 0, 0)
    attempts, error = _send_with_retries(channel, report, sleep)
    if error is not None:
        store.runs.record_delivery(channel.channel_id, "failed", attempts, alerts, alarms, error)
        return DeliveryResult(channel.channel_id, "failed", attempts, alerts, alarms, error)
    store.alerts.mark_delivered(report.alert_ids, channel.channel_id)
    store.runs.record_delivery(channel.channel_id, "sent", attempts, alerts, alarms)
    log.info("delivery %s: sent %d alerts and %d alarms (attempt %d)", channel.channel_id, alerts, alarms,
             attempts)
    return DeliveryResult(channel.channel_id, "sent", attempts, alerts, alarms)


def _send_with_retries(channel: ChannelConfig, report: Report,
                       sleep: Callable[[float], None]) -> tuple[int, str | None]:
    """Send, retrying with a doubling wait; a failure that cannot heal is not retried."""
    send = SENDERS[channel.kind]
    attempts, wait = 0, channel.backoff_seconds
    while True:
        attempts += 1
        try:
            send(channel, report)
            return attempts, None
        except Exception as exc:  # every failure is recorded; only those that may heal are retried
            error = _safe_error(exc, channel)
            final = is_permanent(exc) or attempts >= max(1, channel.attempts)
            log.warning("delivery %s: attempt %d of %d failed%s: %s", channel.channel_id, attempts,
                        channel.attempts, " (not retried: it cannot succeed)" if is_permanent(exc) else "",
                        error)
            if final:
                return attempts, error
            sleep(wait)
            wait *= 2


def is_permanent(exc: BaseException) -> bool:
    """True for a failure no retry can mend: HTTP 3xx/4xx (but 408/425/429), an SMTP 5xx answer, a refused
    sender, recipient or login, a path that is a folder or not writable, a missing secret."""
    if isinstance(exc, PermanentDeliveryError):
        return True
    if isinstance(exc, urllib.error.HTTPError):
        return 300 <= exc.code < 500 and exc.code not in _RETRYABLE_4XX
    if isinstance(exc, _SMTP_REFUSALS):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return isinstance(exc, IsADirectoryError | NotADirectoryError | PermissionError)


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
    store.alerts.mark_delivered(report.alert_ids, channel)
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
    # a plain-text part always (our plain-text report, never Markdown a client might render); our escaped
    # HTML report as the alternative when asked for
    message.set_content(render(report, "text"))
    if channel.format == "html":
        message.add_alternative(render(report, "html"), subtype="html")
    password = channel.secret(channel.password_env)
    with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=channel.timeout_seconds) as smtp:
        if channel.starttls:
            smtp.starttls()
        if channel.username:
            if not password:
                raise PermanentDeliveryError(f"{channel.password_env} is not set "
                                             f"(the SMTP password for {channel.username})")
            smtp.login(channel.username, password)
        smtp.send_message(message)


def send_webhook(channel: ChannelConfig, report: Report) -> None:
    url = channel.target_url()
    if not url.startswith(("http://", "https://")):
        raise PermanentDeliveryError("the webhook URL is not http(s)")
    key = report_key(channel.name, report)
    body = jsondoc.dumps({**jsondoc.to_data(report), "idempotency_key": key}).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "talkwatch",
               "Idempotency-Key": key}
    token = channel.secret(channel.token_env)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with _NO_REDIRECTS.open(request, timeout=channel.timeout_seconds) as response:
        if not 200 <= response.status < 300:
            raise DeliveryError(f"webhook answered HTTP {response.status}")


def report_key(channel: str, report: Report) -> str:
    """The idempotency key of a send of ``report``: its alerts' (:func:`idempotency_key`); a report of
    alarms alone has a key of its own (its time): alarms are the crawls' current state, told again in
    every report, so one key for all of them would let a receiver that drops repeats drop every later
    alarm, a new one too. A retry of the same send keeps its key either way."""
    if report.alert_ids:
        return idempotency_key(channel, report.alert_ids)
    stamp = f"{channel}:alarms:{report.generated_at.isoformat()}"
    return "talkwatch-" + hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:32]


def idempotency_key(channel: str, alert_ids: list[int]) -> str:
    """The same for every send of the same alerts to the same channel (a retry, a resend after a crash),
    so a receiver can drop a repeat: a hash of the channel and the sorted alert ids."""
    text = channel + ":" + ",".join(str(i) for i in sorted(alert_ids))
    return "talkwatch-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def send_apprise(channel: ChannelConfig, report: Report) -> None:
    """Send through apprise in the service's own format, rendered and escaped by us: apprise is told the
    body already is that format, so it converts nothing (its Markdown to HTML step would pass raw HTML)."""
    import apprise

    plugin = apprise.Apprise.instantiate(channel.target_url(), suppress_exceptions=True)
    if plugin is None:
        raise PermanentDeliveryError("apprise does not understand the channel's URL")
    native = apprise_format(plugin, channel.format)
    body = text.render_chat(report) if native == "text" else render(report, _APPRISE_RENDER[native])
    notifier = apprise.Apprise()
    notifier.add(plugin)
    if not notifier.notify(title=subject(report), body=body, body_format=native):
        raise DeliveryError("apprise could not deliver the notification")


# what each apprise format gets from us: our HTML, our escaped Markdown; text services get our plain text
# with markup characters in outlet text made full-width (chat services render markup in "text" too)
_APPRISE_RENDER = {"html": "html", "markdown": "md"}


def apprise_format(plugin: Any, wanted: str) -> Any:
    """The format ``plugin`` will send: the channel's own choice when the service takes it, else the
    service's default (one of apprise's ``NotifyFormat`` values)."""
    import apprise

    preferred = {"html": apprise.NotifyFormat.HTML, "md": apprise.NotifyFormat.MARKDOWN}.get(
        wanted, apprise.NotifyFormat.TEXT)
    return plugin.resolve_format(preferred)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is answered as an error: urllib would turn the POST into a bodiless GET."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> NoReturn:
        raise urllib.error.HTTPError(req.full_url, code, f"redirect ({msg}); point the channel's URL at "
                                     "the new address", headers, fp)


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


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
    return mask_secrets(text)[:500]
