from django.urls import path

from crm.activities import views

app_name = "tasks"

urlpatterns = [
    path("", views.tasks_view, name="list"),
    path("<int:task_id>/edit/", views.task_edit_view, name="edit"),
    path("<int:task_id>/done/", views.task_status_view, {"action": "done"}, name="done"),
    path("<int:task_id>/reopen/", views.task_status_view, {"action": "reopen"}, name="reopen"),
    path("<int:task_id>/delete/", views.task_status_view, {"action": "delete"}, name="delete"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("feed/<str:token>.ics", views.calendar_feed_view, name="calendar_feed"),
]
