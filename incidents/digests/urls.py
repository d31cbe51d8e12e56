"""Digest pages reached from a mail, without login."""

from django.urls import path

from incidents.digests import views

app_name = "digests"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
