from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "villages"
    label = "villages"
    verbose_name = "Wilayah dan fasilitas"
