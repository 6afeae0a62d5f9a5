"""Pages. Each role's pages live in their own module under gridgov/web/pages/."""

from django.urls import include, path

from gridgov.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("gridgov.web.pages.resident")),
    path("", include("gridgov.web.pages.console")),
]
