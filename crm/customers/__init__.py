"""Customers (companies) and their contacts, tags and grades; the shared customer base.

Owns Customer, Contact, Tag. May import crm.core, crm.audit, crm.identity and crm.access.
"""
