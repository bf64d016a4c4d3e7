from django.contrib import admin
from django.urls import include, path, re_path

from api.errors import django_404
from api.main import api

admin.site.site_header = "Administrasi Pulih"
admin.site.site_title = "Pulih"
admin.site.index_title = "Pengelolaan pengguna, fasilitas dan sertifikat"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("web/", include("web.urls")),
    # Unknown API paths answer in the API's error shape even with DEBUG on (Django's handler404 is used only
    # with DEBUG off, and would show its HTML page to the app otherwise).
    re_path(r"^api/", django_404),
]

handler404 = "api.errors.django_404"
handler500 = "api.errors.django_500"
