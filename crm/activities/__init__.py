"""Follow-ups (跟进记录): calls, visits, meetings and notes with next step and next-contact date.

Owns Activity and the customer timeline read model. May import crm.core, crm.audit,
crm.identity, crm.access and crm.customers.
"""
