from django.urls import path

from marketplace.wallets import finance_views, views

app_name = "wallets"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("withdrawals/<int:withdrawal_id>/cancel/", views.cancel_withdrawal, name="cancel-withdrawal"),
    path("finance/", finance_views.finance, name="finance"),
    path("finance/deposits/propose/", finance_views.propose_deposit, name="propose-deposit"),
    path("finance/deposits/<int:deposit_id>/confirm/", finance_views.confirm_deposit, name="confirm-deposit"),
    path("finance/deposits/<int:deposit_id>/reject/", finance_views.reject_deposit, name="reject-deposit"),
    path("staff/withdrawals/", views.withdrawal_queue, name="queue"),
    path("staff/withdrawals/<int:withdrawal_id>/approve/", finance_views.approve_withdrawal, name="approve"),
    path("staff/withdrawals/<int:withdrawal_id>/reject/", finance_views.reject_withdrawal, name="reject"),
]
