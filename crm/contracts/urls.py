from django.urls import path

from crm.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list_view, name="list"),
    path("new/", views.contract_create_view, name="create"),
    path("export.<str:file_format>", views.contract_export_view, name="export"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/templates/new/", views.template_edit_view, name="template_create"),
    path("settings/templates/<int:template_id>/", views.template_edit_view, name="template_edit"),
    path("customer/<int:customer_id>/", views.customer_panel_view, name="customer_panel"),
    path("deal/<int:deal_id>/", views.deal_panel_view, name="deal_panel"),
    path("deal/<int:deal_id>/create/", views.contract_from_deal_view, name="from_deal"),
    path("<int:contract_id>/", views.contract_detail_view, name="detail"),
    path("<int:contract_id>/edit/", views.contract_edit_view, name="edit"),
    path("<int:contract_id>/delete/", views.contract_delete_view, name="delete"),
    path("<int:contract_id>/submit/", views.contract_submit_view, name="submit"),
    path("<int:contract_id>/terminate/", views.contract_terminate_view, name="terminate"),
    path("<int:contract_id>/pdf/", views.contract_pdf_view, name="pdf"),
    path("<int:contract_id>/lines/", views.contract_line_add_view, name="line_add"),
    path("<int:contract_id>/lines/<int:line_id>/remove/", views.contract_line_remove_view, name="line_remove"),
    path("<int:contract_id>/files/", views.attachment_upload_view, name="attachment_upload"),
    path("<int:contract_id>/files/<int:attachment_id>/", views.attachment_download_view, name="attachment"),
    path(
        "<int:contract_id>/files/<int:attachment_id>/remove/",
        views.attachment_remove_view,
        name="attachment_remove",
    ),
]
