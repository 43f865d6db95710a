from django.urls import path

from marketplace.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:endpoint_id>/", views.detail, name="detail"),
    path("<int:endpoint_id>/secret/", views.rotate, name="rotate"),
    path("<int:endpoint_id>/active/", views.set_active, name="active"),
    path("<int:endpoint_id>/delete/", views.delete, name="delete"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/", views.redeliver, name="redeliver"),
]
