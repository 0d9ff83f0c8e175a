from django.apps import AppConfig
from django.utils.translation import gettext_noop

# Django 6.1's label for the empty option of a select is newer than its Chinese catalogue;
# marking it here puts it in ours, which Django consults first.
EMPTY_CHOICE_LABEL = gettext_noop("- Select an option -")


class WebConfig(AppConfig):
    name = "crm.web"
    label = "web"
