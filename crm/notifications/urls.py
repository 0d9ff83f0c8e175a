from django.urls import path

from crm.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("badge/", views.badge_view, name="badge"),
    path("<int:notification_id>/open/", views.open_view, name="open"),
    path("read-all/", views.read_all_view, name="read_all"),
]
