from django.urls import path

from marketplace.accounts import email_views, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.change_password, name="password"),
    path("confirm/", two_factor_views.reauth, name="reauth"),
    path("two-factor/", two_factor_views.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", two_factor_views.recovery_codes, name="recovery_codes"),
    path("two-factor/off/", two_factor_views.disable_two_factor, name="two_factor_off"),
    path("email/", email_views.change_email, name="email"),
    path("email/resend/", email_views.resend_verification, name="email_resend"),
    path("email/verify/<str:token>/", email_views.verify_email, name="verify_email"),
    path("password/reset/", email_views.password_reset, name="password_reset"),
    path("password/reset/sent/", email_views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        email_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", email_views.password_reset_complete, name="password_reset_complete"),
]
