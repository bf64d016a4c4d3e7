from django.contrib import admin
from django.urls import path

from api.main import api

admin.site.site_header = "Administrasi Pulih"
admin.site.site_title = "Pulih"
admin.site.index_title = "Pengelolaan pengguna, fasilitas dan sertifikat"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "api.errors.django_404"
handler500 = "api.errors.django_500"
