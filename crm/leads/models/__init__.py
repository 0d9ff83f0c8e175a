"""Lead models, one module per sub-domain; everything is re-exported here."""

from crm.leads.models.lead import Channel, Lead, LeadStatus

__all__ = ["Channel", "Lead", "LeadStatus"]
