"""The append-only audit log: who did what to which record, when, through which channel.

Owns AuditEntry. May import crm.core only (see docs/decisions/0001-audit-below-identity.md).
"""
