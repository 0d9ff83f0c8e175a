"""Leads (线索): prospects captured from every channel, their status and their conversion.

Owns Lead and its follow-ups (LeadFollowUp), campaigns, web forms and the lead rules. May import
crm.core, crm.audit, crm.identity, crm.access, crm.notifications, crm.customers, crm.activities
(follow-up kinds, tasks for a next contact) and crm.deals (a converted lead points down to the
customer, contact and deal it became).
"""
