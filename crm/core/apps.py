from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "crm.core"
    label = "core"

    def ready(self) -> None:
        from crm.core import checks  # noqa: F401  (registers system checks)
        from crm.core.medians import register_sqlite_median
        from crm.core.phone import preload_phone_metadata

        preload_phone_metadata()
        connection_created.connect(register_sqlite_median, dispatch_uid="crm.core.medians")
