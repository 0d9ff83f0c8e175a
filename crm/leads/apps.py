from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "crm.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        # Leads take part in the duplicate check of every lead, customer and contact.
        from crm.leads.duplicate_source import register_leads

        register_leads()
