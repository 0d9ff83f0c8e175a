"""URLs of the lead settings screens, included under /leads/settings/."""

from django.urls import path

from crm.leads import rule_views

app_name = "rules"

urlpatterns = [
    path("", rule_views.settings_view, name="settings"),
    path("model/", rule_views.model_report_view, name="model"),
    path("capacity/<int:user_id>/", rule_views.capacity_view, name="capacity"),
    path("<str:kind>/new/", rule_views.rule_edit_view, name="create"),
    path("<str:kind>/<int:rule_id>/", rule_views.rule_edit_view, name="edit"),
    path("<str:kind>/<int:rule_id>/move/<str:direction>/", rule_views.rule_move_view, name="move"),
    path("<str:kind>/<int:rule_id>/toggle/", rule_views.rule_toggle_view, name="toggle"),
    path("<str:kind>/<int:rule_id>/delete/", rule_views.rule_delete_view, name="delete"),
]
