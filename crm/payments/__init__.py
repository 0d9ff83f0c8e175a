"""Payment collection (回款): payment plans and instalments, payments and their allocations, invoices, receivables.

Owns the contract's money ledger. May import crm.contracts and everything below it.
"""
