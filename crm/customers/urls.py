from django.urls import path

from crm.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("export.<str:file_format>", views.customer_export_view, name="export"),
    path("columns/<str:kind>/", views.columns_view, name="columns"),
    path("choices/", views.customer_choices_view, name="choices"),
    path("<int:customer_id>/", views.customer_detail_view, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit_view, name="edit"),
    path("<int:customer_id>/delete/", views.customer_delete_view, name="delete"),
    path("<int:customer_id>/restore/", views.customer_restore_view, name="restore"),
]
