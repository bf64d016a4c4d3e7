from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "backend.mobile"
    label = "mobile"
    verbose_name = "Sinkronisasi ponsel"
