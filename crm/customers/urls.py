from django.urls import path

from crm.customers import duplicate_views, neglect_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("export.<str:file_format>", views.customer_export_view, name="export"),
    path("columns/<str:kind>/", views.columns_view, name="columns"),
    path("choices/", views.customer_choices_view, name="choices"),
    path("neglect/settings/", neglect_views.neglect_settings_view, name="neglect_settings"),
    path("<int:customer_id>/", views.customer_detail_view, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit_view, name="edit"),
    path("<int:customer_id>/delete/", views.customer_delete_view, name="delete"),
    path("<int:customer_id>/restore/", views.customer_restore_view, name="restore"),
    # Duplicate check (查重), scan and merge of leads, customers and contacts.
    path("duplicates/", duplicate_views.scan_view, name="duplicate_scan"),
    path("duplicates/dismiss/", duplicate_views.pair_dismiss_view, name="duplicate_dismiss"),
    path("duplicates/settings/", duplicate_views.policy_view, name="duplicate_policy"),
    path("duplicates/check/<str:object_type>/", duplicate_views.duplicate_check_view, name="duplicate_check"),
    path(
        "duplicates/merge/<str:object_type>/<int:survivor_id>/<int:loser_id>/",
        duplicate_views.merge_view,
        name="merge",
    ),
    path("duplicates/merges/<int:merge_id>/", duplicate_views.merge_detail_view, name="merge_detail"),
    path("duplicates/merges/<int:merge_id>/undo/", duplicate_views.merge_undo_view, name="merge_undo"),
]
