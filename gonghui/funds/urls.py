from django.urls import path

from gonghui.funds import views

console_urlpatterns = [
    path("funds/", views.fund_list, name="fund_list"),
    path("funds/new/", views.fund_create, name="fund_create"),
    path("funds/raised-paid/", views.raised_paid, name="fund_raised_paid"),
    path("funds/<int:fund_id>/", views.fund_detail, name="fund_detail"),
    path("funds/<int:fund_id>/incomes/new/", views.income_create, name="income_create"),
    path(
        "funds/incomes/<int:income_id>/acknowledgement/",
        views.income_acknowledgement,
        name="income_acknowledgement",
    ),
    path("payments/items/", views.payable_list, name="payable_list"),
    path("payments/batches/", views.batch_list, name="batch_list"),
    path("payments/batches/new/", views.batch_create, name="batch_create"),
    path("payments/batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("payments/batches/<int:batch_id>/export/", views.batch_export, name="batch_export"),
    path("payments/batches/<int:batch_id>/results/", views.batch_results, name="batch_results"),
]

portal_urlpatterns = [
    # Public by design (no sign-in): the QR code of an income's acknowledgement opens it.
    path("verify/income/<str:token>/", views.income_verify, name="income_verify"),
]
