from django.urls import path

from marketplace.vendors import views

app_name = "vendors"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/shop/", views.edit_shop, name="edit-shop"),
    path("staff/", views.staff_queue, name="staff"),
    path("staff/<int:vendor_id>/approve/", views.approve, name="approve"),
    path("staff/<int:vendor_id>/reject/", views.reject, name="reject"),
    path("staff/<int:vendor_id>/suspend/", views.suspend, name="suspend"),
    path("staff/<int:vendor_id>/unsuspend/", views.unsuspend, name="unsuspend"),
    path("<slug:slug>/", views.storefront, name="storefront"),
]
