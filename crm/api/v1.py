"""API version 1 at /api/v1/, documented at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from crm.activities.api import router as activities_router
from crm.activities.api import tasks_router
from crm.api import errors
from crm.api.auth import AUTH
from crm.approvals.api import router as approvals_router
from crm.contracts.api import router as contracts_router
from crm.customers.api import contacts_router, customers_router
from crm.deals.api import deals_router, pipelines_router
from crm.identity.api import router as identity_router
from crm.imports.api import router as imports_router
from crm.leads.api import router as leads_router
from crm.leads.rule_api import router as lead_rules_router
from crm.notifications.api import router as notifications_router
from crm.payments.api import (
    instalments_router,
    invoices_router,
    payments_router,
    plans_router,
    receivables_router,
)
from crm.quotes.api import products_router, quotes_router

api = NinjaAPI(
    title="CRM API",
    version="1.0.0",
    description="Leads, customers, contacts and follow-ups. Authenticate with a personal token: "
    "`Authorization: Bearer crm_…` (create one under Settings → API tokens).",
    auth=AUTH,
    urls_namespace="api-v1",
)
errors.install(api)
api.add_router("/leads", leads_router)
api.add_router("/lead-rules", lead_rules_router)
api.add_router("/customers", customers_router)
api.add_router("/contacts", contacts_router)
api.add_router("/activities", activities_router)
api.add_router("/tasks", tasks_router)
api.add_router("/deals", deals_router)
api.add_router("/pipelines", pipelines_router)
api.add_router("/products", products_router)
api.add_router("/quotes", quotes_router)
api.add_router("/contracts", contracts_router)
api.add_router("/me", identity_router)
api.add_router("/notifications", notifications_router)
api.add_router("/imports", imports_router)
api.add_router("/approvals", approvals_router)
api.add_router("/payment-plans", plans_router)
api.add_router("/instalments", instalments_router)
api.add_router("/payments", payments_router)
api.add_router("/invoices", invoices_router)
api.add_router("/receivables", receivables_router)
