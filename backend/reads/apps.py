from django.apps import AppConfig


class ReadsConfig(AppConfig):
    name = "backend.reads"
    label = "reads"
