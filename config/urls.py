"""URL map: the web UI at /, the API at /api/v1/, the operators' admin at /ops/."""

from django.contrib import admin
from django.urls import include, path

from crm.api.v1 import api

urlpatterns = [
    path("", include("crm.web.urls")),
    path("", include("crm.identity.urls")),
    path("leads/", include("crm.leads.urls")),
    path("customers/", include("crm.customers.urls")),
    path("contacts/", include("crm.customers.contact_urls")),
    path("activities/", include("crm.activities.urls")),
    path("notifications/", include("crm.notifications.urls")),
    path("api/v1/", api.urls),
    path("ops/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
