from django.urls import path

from marketplace.wallets import views

app_name = "wallets"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path(
        "withdrawals/<int:withdrawal_id>/cancel/", views.cancel_withdrawal, name="cancel-withdrawal"
    ),
    path("staff/withdrawals/", views.withdrawal_queue, name="queue"),
    path(
        "staff/withdrawals/<int:withdrawal_id>/approve/", views.approve_withdrawal, name="approve"
    ),
    path("staff/withdrawals/<int:withdrawal_id>/reject/", views.reject_withdrawal, name="reject"),
]
