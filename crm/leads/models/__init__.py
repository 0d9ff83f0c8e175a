"""Lead models, one module per sub-domain; everything is re-exported here."""

from crm.leads.models.campaign import WEBFORM_FIELDS, Campaign, WebForm, WebFormHit
from crm.leads.models.follow_up import LeadFollowUp
from crm.leads.models.lead import Channel, Lead, LeadStatus
from crm.leads.models.rules import (
    AssignmentMember,
    AssignmentRule,
    AssignmentStrategy,
    EntryCriterion,
    RepCapacity,
    ScoreKind,
    ScoringModel,
    ScoringRule,
)

__all__ = [
    "WEBFORM_FIELDS",
    "AssignmentMember",
    "AssignmentRule",
    "AssignmentStrategy",
    "Campaign",
    "Channel",
    "EntryCriterion",
    "Lead",
    "LeadFollowUp",
    "LeadStatus",
    "RepCapacity",
    "ScoreKind",
    "ScoringModel",
    "ScoringRule",
    "WebForm",
    "WebFormHit",
]
