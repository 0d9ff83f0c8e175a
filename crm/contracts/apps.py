from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "crm.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from crm.activities.timeline_sources import register_timeline_source
        from crm.approvals.registry import register_subject
        from crm.contracts.approval import CONTRACT_SUBJECT
        from crm.contracts.timeline import contract_events

        # The approval engine and the customer timeline sit below contracts: both learn about
        # contracts through what is registered here.
        register_subject(CONTRACT_SUBJECT)
        register_timeline_source("contracts", contract_events)
