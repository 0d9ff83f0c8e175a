from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "crm.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from crm.activities.timeline_sources import register_timeline_source
        from crm.payments.timeline import ledger_events

        # The customer timeline sits below payments; it learns about money through this source.
        register_timeline_source("payments", ledger_events)
