"""URL map: the web UI at /, the API at /api/v1/, the operators' admin at /ops/."""

from django.contrib import admin
from django.urls import include, path

from crm.api.v1 import api

urlpatterns = [
    path("", include("crm.web.urls")),
    path("", include("crm.identity.urls")),
    path("leads/", include("crm.leads.urls")),
    path("f/", include("crm.leads.webform_urls")),
    path("customers/", include("crm.customers.urls")),
    path("contacts/", include("crm.customers.contact_urls")),
    path("activities/", include("crm.activities.urls")),
    path("deals/", include("crm.deals.urls")),
    path("quotes/", include("crm.quotes.urls")),
    path("approvals/", include("crm.approvals.urls")),
    path("contracts/", include("crm.contracts.urls")),
    path("payments/", include("crm.payments.urls")),
    path("tasks/", include("crm.activities.task_urls")),
    path("notifications/", include("crm.notifications.urls")),
    path("imports/", include("crm.imports.urls")),
    path("api/v1/", api.urls),
    path("ops/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
