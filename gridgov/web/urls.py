"""Pages. Each role's pages live in their own module under gridgov/web/pages/."""

from django.urls import include, path

from gridgov.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("gridgov.web.pages.resident")),
    path("", include("gridgov.web.pages.console")),
    path("", include("gridgov.web.pages.gridworker")),
    path("", include("gridgov.web.pages.leader")),
    path("", include("gridgov.web.pages.cockpit")),
    path("", include("gridgov.web.pages.account")),
]
