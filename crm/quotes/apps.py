from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "crm.quotes"
    label = "quotes"
    verbose_name = _("Quotes")

    def ready(self) -> None:
        from crm.approvals.registry import register_subject
        from crm.deals.stage_rules import register_evidence
        from crm.quotes.approval import QUOTE_SUBJECT
        from crm.quotes.selectors import deal_has_sent_quote

        # A stage may require "a quote sent"; deals cannot import quotes, so quotes answers for it.
        register_evidence("quote_sent", deal_has_sent_quote)
        # Discounts above a role's limit go through the approval engine, which learns about quotes here.
        register_subject(QUOTE_SUBJECT)
