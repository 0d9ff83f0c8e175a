from django.urls import path

from crm.deals import views

app_name = "deals"

urlpatterns = [
    path("", views.board_view, name="board"),
    path("list/", views.deal_list_view, name="list"),
    path("new/", views.deal_create_view, name="create"),
    path("export.<str:file_format>", views.deal_export_view, name="export"),
    path("move/", views.board_move_view, name="board_move"),
    path("bulk/owner/", views.deal_bulk_owner_view, name="bulk_owner"),
    path("columns/<int:stage_id>/", views.board_column_view, name="column"),
    path("customer/<int:customer_id>/", views.customer_deals_panel_view, name="customer_panel"),
    path("objections/", views.objection_analysis_view, name="objections"),
    path("win-loss/", views.win_loss_view, name="win_loss"),
    path("funnel/", views.funnel_view, name="funnel"),
    path("pipelines/", views.pipeline_list_view, name="pipelines"),
    path("pipelines/<int:pipeline_id>/", views.pipeline_detail_view, name="pipeline"),
    path("<int:deal_id>/", views.deal_detail_view, name="detail"),
    path("<int:deal_id>/edit/", views.deal_edit_view, name="edit"),
    path("<int:deal_id>/delete/", views.deal_delete_view, name="delete"),
    path("<int:deal_id>/restore/", views.deal_restore_view, name="restore"),
    path("<int:deal_id>/move/", views.deal_move_view, name="move"),
    path("<int:deal_id>/reopen/", views.deal_reopen_view, name="reopen"),
    path("<int:deal_id>/close/<str:outcome>/", views.deal_close_view, name="close"),
    path("<int:deal_id>/checklist/<int:item_id>/", views.checklist_tick_view, name="tick"),
    path("<int:deal_id>/contacts/", views.deal_contact_add_view, name="contact_add"),
    path("<int:deal_id>/contacts/<int:contact_id>/remove/", views.deal_contact_remove_view, name="contact_remove"),
    path("<int:deal_id>/objections/", views.objection_log_view, name="objection_log"),
    path("<int:deal_id>/tasks/", views.deal_task_create_view, name="task_create"),
    path("<int:deal_id>/objections/<int:objection_id>/", views.objection_outcome_view, name="objection_outcome"),
]
