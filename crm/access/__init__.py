"""Who may see and change which records: the visibility rule, edit rights and masking.

Owns no tables: the rules read each user's role and team (crm.identity).
May import crm.core, crm.audit and crm.identity.
"""
