from django.urls import path

from marketplace.ops import views

app_name = "ops"

urlpatterns = [
    path("", views.index, name="index"),
    path("reload/<str:kind>/<str:name>/", views.reload, name="reload"),
    path("reloads/<str:reload_id>/", views.reload_detail, name="reload-detail"),
    path("tasks/<uuid:run_id>/retry/", views.retry_task, name="retry-task"),
]
