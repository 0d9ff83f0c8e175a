"""Public web form addresses (no sign-in): /f/<token>/."""

from django.urls import path

from crm.leads import webform_views

app_name = "webforms"

urlpatterns = [
    path("<str:token>/", webform_views.webform_page_view, name="page"),
    path("<str:token>/submit/", webform_views.webform_submit_view, name="submit"),
    path("<str:token>/thanks/", webform_views.webform_thanks_view, name="thanks"),
]
