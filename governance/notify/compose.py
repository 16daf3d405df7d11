"""Turning a template and its context into a message: subject, plain text and HTML.

A message is a pair of templates in ``templates/notify/``: ``NAME.txt`` whose first line is
``Subject: …`` followed by a blank line and the plain-text body, and ``NAME.html`` for the HTML
part, which receives the rendered ``subject`` as well. Both go through gettext like every page;
only the HTML one is autoescaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from typing import Any

from jinja2 import Environment

from governance.templating import make_environment

TEMPLATE_FOLDER = "notify"
SUBJECT_PREFIX = "Subject:"
_TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_]{0,79}")


class TemplateError(ValueError):
    """A mail template that breaks the convention above: a fault in the code, not in input."""


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str
    text: str
    html: str


@cache
def _environments() -> tuple[Environment, Environment]:
    """(HTML, text): the pages' environment, and an overlay of it that does not escape.

    The overlay gets its own cache so a template compiled with escaping is never reused without.
    """
    html = make_environment()
    return html, html.overlay(autoescape=False, cache_size=100)


def _split_subject(rendered: str, template: str) -> tuple[str, str]:
    first, _, body = rendered.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise TemplateError(f"{template}.txt must start with a '{SUBJECT_PREFIX} …' line")
    # One header line: names in the context could carry line breaks (header injection).
    subject = " ".join(first.removeprefix(SUBJECT_PREFIX).split())
    if not subject:
        raise TemplateError(f"{template}.txt has an empty subject")
    return subject, body.lstrip("\n")


def compose(template: str, context: Mapping[str, Any]) -> Composed:
    """Render ``templates/notify/<template>.{txt,html}`` with ``context``."""
    if not _TEMPLATE_NAME.fullmatch(template):
        raise TemplateError(f"not a mail template name: {template!r}")
    html_env, text_env = _environments()
    rendered = text_env.get_template(f"{TEMPLATE_FOLDER}/{template}.txt").render(context)
    subject, text = _split_subject(rendered, template)
    html = html_env.get_template(f"{TEMPLATE_FOLDER}/{template}.html").render(
        {**context, "subject": subject}
    )
    return Composed(subject=subject, text=text, html=html)


def message_id(key: str, mail_from: str) -> str:
    """The Message-ID, fixed by the outbox row's key: a retry is recognisably the same message."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{key}@{domain}>"


def email_message(
    *,
    key: str,
    mail_from: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    created_at: datetime,
) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML preferred where it can be shown."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = recipient
    email["Subject"] = subject
    # RFC 5322 3.6.1: the origination date is when the message was complete, i.e. enqueued.
    email["Date"] = format_datetime(created_at)
    email["Message-ID"] = message_id(key, mail_from)
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email
