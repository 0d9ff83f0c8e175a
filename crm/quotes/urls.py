from django.urls import path

from crm.quotes import views

app_name = "quotes"

urlpatterns = [
    path("products/", views.product_list_view, name="products"),
    path("products/new/", views.product_create_view, name="product_create"),
    path("products/<int:product_id>/", views.product_edit_view, name="product_edit"),
    path("price-lists/", views.price_list_list_view, name="price_lists"),
    path("price-lists/<int:price_list_id>/", views.price_list_detail_view, name="price_list"),
    path("discount-limits/", views.discount_limits_view, name="discount_limits"),
    path("deal/<int:deal_id>/panel/", views.deal_panel_view, name="deal_panel"),
    path("deal/<int:deal_id>/new/", views.quote_create_view, name="create"),
    path("<int:quote_id>/", views.quote_detail_view, name="detail"),
    path("<int:quote_id>/edit/", views.quote_update_view, name="update"),
    path("<int:quote_id>/lines/", views.quote_line_add_view, name="line_add"),
    path("<int:quote_id>/lines/<int:line_id>/", views.quote_line_update_view, name="line_update"),
    path("<int:quote_id>/lines/<int:line_id>/remove/", views.quote_line_remove_view, name="line_remove"),
    path("<int:quote_id>/revise/", views.quote_revise_view, name="revise"),
    path("<int:quote_id>/approval/request/", views.quote_request_approval_view, name="request_approval"),
    path("<int:quote_id>/send/", views.quote_send_view, name="send"),
    path("<int:quote_id>/outcome/<str:outcome>/", views.quote_outcome_view, name="outcome"),
    path("<int:quote_id>/pdf/", views.quote_pdf_view, name="pdf"),
]
