from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crm.core"
    label = "core"

    def ready(self) -> None:
        from crm.core import checks  # noqa: F401  (registers system checks)
        from crm.core.phone import preload_phone_metadata

        preload_phone_metadata()
