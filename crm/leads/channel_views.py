"""The channel quality report page."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.core import clock
from crm.core.actors import web_actor
from crm.core.params import date_param
from crm.leads.channel_quality import channel_quality, default_period


def report_period(request: HttpRequest) -> tuple[dt.date | None, dt.date | None]:
    """The chosen period; the last 90 days when none is given."""
    if "created_from" in request.GET or "created_to" in request.GET:
        return date_param(request.GET.get("created_from")), date_param(request.GET.get("created_to"))
    return default_period(clock.today())


@login_required
def channel_quality_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    created_from, created_to = report_period(request)
    tables = [
        ("channel", channel_quality(viewer=actor, by="channel", created_from=created_from, created_to=created_to)),
        ("campaign", channel_quality(viewer=actor, by="campaign", created_from=created_from, created_to=created_to)),
    ]
    widest = max((row.leads for _by, rows in tables for row in rows), default=0)
    return render(
        request,
        "leads/channel_quality.html",
        {"tables": tables, "created_from": created_from, "created_to": created_to, "widest": widest},
    )
