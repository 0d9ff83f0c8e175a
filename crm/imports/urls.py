from django.urls import path

from crm.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list_view, name="list"),
    path("new/", views.import_upload_view, name="upload"),
    path("<int:job_id>/", views.import_detail_view, name="detail"),
    path("<int:job_id>/mapping/", views.import_mapping_view, name="mapping"),
    path("<int:job_id>/preview/", views.import_preview_view, name="preview"),
    path("<int:job_id>/rejected.<str:file_format>", views.import_rejected_view, name="rejected"),
    path("<int:job_id>/revert/", views.import_revert_view, name="revert"),
]
