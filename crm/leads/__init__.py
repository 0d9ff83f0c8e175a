"""Leads (线索): prospects captured from every channel, their status and their conversion.

Owns Lead. May import crm.core, crm.audit, crm.identity, crm.access and crm.customers
(a converted lead points down to the customer and contact it became).
"""
