from django.apps import AppConfig


class TravelConfig(AppConfig):
    name = "backend.travel"
    label = "travel"
    verbose_name = "Waktu tempuh"
