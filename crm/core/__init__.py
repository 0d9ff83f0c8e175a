"""Shared kernel: base models, errors, events, keyset pagination, phone and text normalisation.

Owns no business data. Imports no other crm app; every other app may import it.
"""
