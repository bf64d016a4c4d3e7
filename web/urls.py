"""The web view's pages, mounted at /web/ by backend.urls."""

from django.urls import path

from web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", views.sign_in, name="login"),
    path("keluar/", views.sign_out, name="logout"),
    path("laporan/", views.report, name="report"),
    path("laporan/unduh/<str:fmt>/", views.report_download, name="report_download"),
    path("laporan/ipwl/", views.ipwl_download, name="ipwl_download"),
    path("eskalasi/", views.escalations, name="escalations"),
    path("eskalasi/<uuid:escalation_id>/tugaskan/", views.escalation_assign_view, name="assign"),
    path("tindak-lanjut/", views.followup, name="followup"),
    path("peta/", views.area_map, name="map"),
    path("peta/data/", views.area_map_data, name="map_data"),
]
