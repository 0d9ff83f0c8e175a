from django.urls import path

from crm.approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("badge/", views.badge_view, name="badge"),
    path("panel/<str:kind>/<int:target_id>/", views.panel_view, name="panel"),
    path("<int:request_id>/", views.request_detail_view, name="detail"),
    path("<int:request_id>/<str:decision>/", views.decide_view, name="decide"),
    path("delegation/", views.delegation_view, name="delegation"),
    path("delegation/<int:delegation_id>/cancel/", views.delegation_cancel_view, name="delegation_cancel"),
    path("flows/", views.flow_list_view, name="flows"),
    path("flows/<str:kind>/", views.flow_edit_view, name="flow"),
    path("flows/steps/<int:step_id>/delete/", views.step_delete_view, name="step_delete"),
    path("flows/steps/<int:step_id>/move/<str:direction>/", views.step_move_view, name="step_move"),
]
