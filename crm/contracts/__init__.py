"""Contracts (合同): signed agreements from won deals or directly on a customer, with lines, attachments and templates.

Owns Contract, its lines, attachments, number pattern and templates. May import crm.quotes, crm.deals and
everything below them; payments (回款) build on contracts and are imported by nothing here.
"""
