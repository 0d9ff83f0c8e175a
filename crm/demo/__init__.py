"""Realistic Chinese demo data at any scale (`crm demo --scale N`), written with bulk inserts.

An interface layer like web and api: may import every domain app's models.
"""
