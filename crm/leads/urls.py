from django.urls import include, path

from crm.leads import campaign_views, channel_views, views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list_view, name="list"),
    path("new/", views.lead_create_view, name="create"),
    path("export.<str:file_format>", views.lead_export_view, name="export"),
    path("channels/", channel_views.channel_quality_view, name="channels"),
    path("settings/", include("crm.leads.rule_urls")),
    path("columns/", views.lead_columns_view, name="columns"),
    path("campaigns/", campaign_views.campaign_list_view, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_edit_view, name="campaign_create"),
    path("campaigns/<int:campaign_id>/edit/", campaign_views.campaign_edit_view, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/forms/new/", campaign_views.webform_edit_view, name="webform_create"),
    path("forms/<int:form_id>/edit/", campaign_views.webform_edit_view, name="webform_edit"),
    path("for-customer/<int:customer_id>/", views.customer_source_leads_view, name="customer_sources"),
    path("<int:lead_id>/", views.lead_detail_view, name="detail"),
    path("<int:lead_id>/edit/", views.lead_edit_view, name="edit"),
    path("<int:lead_id>/status/", views.lead_status_view, name="status"),
    path("<int:lead_id>/follow-ups/", views.lead_follow_up_view, name="follow_up"),
    path("<int:lead_id>/convert/", views.lead_convert_view, name="convert"),
    path("<int:lead_id>/delete/", views.lead_delete_view, name="delete"),
    path("<int:lead_id>/restore/", views.lead_restore_view, name="restore"),
]
