from django.urls import path

from crm.leads import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list_view, name="list"),
    path("new/", views.lead_create_view, name="create"),
    path("export.<str:file_format>", views.lead_export_view, name="export"),
    path("<int:lead_id>/", views.lead_detail_view, name="detail"),
    path("<int:lead_id>/edit/", views.lead_edit_view, name="edit"),
    path("<int:lead_id>/status/", views.lead_status_view, name="status"),
    path("<int:lead_id>/convert/", views.lead_convert_view, name="convert"),
    path("<int:lead_id>/delete/", views.lead_delete_view, name="delete"),
    path("<int:lead_id>/restore/", views.lead_restore_view, name="restore"),
]
