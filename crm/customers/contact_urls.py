from django.urls import path

from crm.customers import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list_view, name="list"),
    path("new/", views.contact_create_view, name="create"),
    path("export.<str:file_format>", views.contact_export_view, name="export"),
    path("<int:contact_id>/", views.contact_detail_view, name="detail"),
    path("<int:contact_id>/edit/", views.contact_edit_view, name="edit"),
    path("<int:contact_id>/delete/", views.contact_delete_view, name="delete"),
    path("<int:contact_id>/restore/", views.contact_restore_view, name="restore"),
]
