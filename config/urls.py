from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from config.api import api

admin.site.site_header = _("gridgov grid governance platform")
admin.site.site_title = _("gridgov")
admin.site.index_title = _("Administration")

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("gridgov.web.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
