"""Imports: Excel/CSV files turned into leads, customers and contacts, and undone again.

Owns ImportJob, its rows and saved column mappings. May import every domain app below it
(leads, activities, customers, access, identity, audit, core); writes only through their services.
"""
