from django.urls import path

from crm.web import views

app_name = "web"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("audit/", views.audit_view, name="audit"),
    path("trash/", views.trash_view, name="trash"),
    path("healthz", views.health_view, name="health"),
]
