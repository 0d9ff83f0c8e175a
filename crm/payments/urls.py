from django.urls import path

from crm.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.payment_list_view, name="list"),
    path("export.csv", views.payment_export_view, name="export"),
    path("instalments/", views.instalment_list_view, name="instalments"),
    path("receivables/", views.receivables_view, name="receivables"),
    path("settings/", views.settings_view, name="settings"),
    path("contract/<int:contract_id>/panel/", views.contract_panel_view, name="contract_panel"),
    path("contract/<int:contract_id>/plan/", views.plan_save_view, name="plan_save"),
    path("contract/<int:contract_id>/payments/", views.payment_create_view, name="payment_create"),
    path("contract/<int:contract_id>/invoices/", views.invoice_create_view, name="invoice_create"),
    path("<int:payment_id>/reverse/", views.payment_reverse_view, name="payment_reverse"),
    path("invoices/<int:invoice_id>/void/", views.invoice_void_view, name="invoice_void"),
    path("customer/<int:customer_id>/", views.customer_summary_view, name="customer_summary"),
]
