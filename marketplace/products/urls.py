from django.urls import path

from marketplace.products import views

app_name = "products"

urlpatterns = [
    path("", views.catalog, name="list"),
    path("new/", views.create, name="create"),
    path("<int:product_id>/", views.detail, name="detail"),
    path("<int:product_id>/edit/", views.edit, name="edit"),
    path("<int:product_id>/unlist/", views.unlist, name="unlist"),
    path("<int:product_id>/relist/", views.relist, name="relist"),
    path("<int:product_id>/delete/", views.delete, name="delete"),
    path("<int:product_id>/report/", views.report, name="report"),
    path("images/<int:image_id>/", views.image, name="image"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/<int:product_id>/unlist/", views.moderate_unlist, name="moderate-unlist"),
    path("moderation/<int:product_id>/restore/", views.moderate_restore, name="moderate-restore"),
    path("moderation/<int:product_id>/dismiss/", views.moderate_dismiss, name="moderate-dismiss"),
]
