from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "crm.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from crm.approvals.registry import register_subject
        from crm.contracts.approval import CONTRACT_SUBJECT

        # The approval engine sits below contracts: it learns about contracts through this adapter.
        register_subject(CONTRACT_SUBJECT)
