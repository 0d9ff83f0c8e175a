from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "crm.quotes"
    label = "quotes"
    verbose_name = _("Quotes")

    def ready(self) -> None:
        from crm.deals.stage_rules import register_evidence
        from crm.quotes.selectors import deal_has_sent_quote

        # A stage may require "a quote sent"; deals cannot import quotes, so quotes answers for it.
        register_evidence("quote_sent", deal_has_sent_quote)
