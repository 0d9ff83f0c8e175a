"""E-mails about tasks, in the recipient's language; sent by background jobs after their commit.

A user receives them only with an e-mail address and the "email_reminders" preference left on.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from crm.activities.models import Task
from crm.activities.services.reminders import Digest
from crm.identity.models import User

log = logging.getLogger(__name__)
PREFERENCE = "email_reminders"


def wants_email(user: User) -> bool:
    return bool(user.email) and user.is_active and (user.preferences or {}).get(PREFERENCE, True) is not False


def _send(user: User, subject: str, template: str, context: dict[str, object]) -> bool:
    body = render_to_string(template, {**context, "user": user})
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError:
        # The in-app notice is already written; a mail server outage must not fail the job or repeat it.
        log.warning("could not e-mail %s", user.email, exc_info=True)
        return False
    return True


def reminder_email(task: Task) -> bool:
    user = task.owner
    if not wants_email(user):
        return False
    with translation.override(user.language or None):
        return _send(
            user, _("Reminder: %(title)s") % {"title": task.title}, "activities/email/reminder.txt", {"task": task}
        )


def digest_email(digest: Digest) -> bool:
    user = digest.user
    if not wants_email(user):
        return False
    with translation.override(user.language or None):
        subject = _("Today: %(today)d tasks due, %(overdue)d overdue") % {
            "today": digest.today,
            "overdue": digest.overdue,
        }
        return _send(user, subject, "activities/email/digest.txt", {"digest": digest})
