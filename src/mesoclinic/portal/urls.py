"""Public booking (/book/) and client accounts (/account/)."""

from django.urls import path

from mesoclinic.portal import (
    erasure_views,
    identity_views,
    money_views,
    payment_views,
    views,
    waitlist_views,
)

app_name = "portal"

urlpatterns = [
    path("book/", views.book_index, name="book"),
    path("book/check-email/", identity_views.check_email, name="check_email"),
    path("book/done/<int:appointment_id>/", views.book_done, name="book_done"),
    path("book/<slug:code>/", views.book_treatment, name="book_treatment"),
    path("book/<slug:code>/times/", views.book_times, name="book_times"),
    path("book/<slug:code>/details/", views.book_details, name="book_details"),
    path("account/", views.account_home, name="account"),
    path("account/login/", identity_views.account_login, name="login"),
    path("account/logout/", identity_views.account_logout, name="logout"),
    path("account/signup/", identity_views.account_signup, name="signup"),
    path("account/verify/<str:token>/", identity_views.account_verify, name="verify"),
    path("account/password-reset/", identity_views.password_reset, name="reset"),
    path(
        "account/password-reset/<str:token>/",
        identity_views.password_reset_confirm,
        name="reset_confirm",
    ),
    path("account/money/", money_views.account_money, name="money"),
    path("account/questionnaire/", views.account_questionnaire, name="questionnaire"),
    path("account/consent/<slug:code>/", views.account_consent, name="consent"),
    path("account/appointments/<int:appointment_id>/cancel/", views.account_cancel, name="cancel"),
    path(
        "account/appointments/<int:appointment_id>/move/",
        views.account_reschedule,
        name="reschedule",
    ),
    path(
        "account/appointments/<int:appointment_id>/deposit/",
        payment_views.deposit_pay,
        name="deposit_pay",
    ),
    path(
        "account/deposit/<str:intent_id>/",
        payment_views.deposit_return,
        name="deposit_return",
    ),
    path("pay/sandbox/<str:intent_id>/", payment_views.sandbox_checkout, name="sandbox_checkout"),
    path("waitlist/offer/<str:token>/", waitlist_views.waitlist_offer, name="waitlist_offer"),
    path(
        "waitlist/offer/<str:token>/<str:action>/",
        waitlist_views.waitlist_offer,
        name="waitlist_offer_action",
    ),
    path("account/my-data.json", views.account_export_json, name="export_json"),
    path("account/my-data.pdf", views.account_export_pdf, name="export_pdf"),
    path("account/erase/", erasure_views.account_erasure, name="erasure"),
]
