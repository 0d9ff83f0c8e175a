from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "crm.activities"
    label = "activities"
    verbose_name = _("Follow-ups")

    def ready(self) -> None:
        from crm.activities import subscriptions

        subscriptions.register()
