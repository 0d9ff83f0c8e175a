"""Every write to the ledger, split by sub-domain: plans, payments, invoices, settings, overdue notices."""
