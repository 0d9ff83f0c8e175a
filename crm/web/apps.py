from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "crm.web"
    label = "web"
