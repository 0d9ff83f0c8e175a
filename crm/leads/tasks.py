"""Background jobs of the leads app (run by `crm worker`)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from crm.leads.intake import leads_rescore_all
from crm.leads.scoring.training import train


@task()
def retrain_scoring_model() -> dict[str, Any]:
    """Idempotent: fits a fresh model from the same history; too little history changes nothing."""
    return train().to_json()


@task()
def rescore_leads() -> int:
    """Idempotent: recomputes every open lead's score (decay moves with the clock); returns how many changed."""
    return leads_rescore_all()
