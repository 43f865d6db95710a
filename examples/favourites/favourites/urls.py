from django.urls import path

from favourites import views

app_name = "favourites"
urlpatterns = [
    path("", views.favourites_list, name="list"),
    path("toggle/", views.toggle, name="toggle"),
]
