from django.urls import path

from crm.activities import views

app_name = "activities"

urlpatterns = [
    path("customer/<int:customer_id>/", views.panel_view, name="panel"),
    path("customer/<int:customer_id>/older/", views.timeline_older_view, name="timeline_older"),
    path("<int:activity_id>/done/", views.done_view, name="done"),
]
