from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "crm.api"
    label = "api"
