"""The CRM: one Django app per domain under this package (see docs/architecture.md)."""
