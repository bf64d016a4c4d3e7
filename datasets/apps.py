from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    """Synthetic data sets for benchmarks (`manage.py build_national_dataset`): the top of the layers, beside
    api and web; nothing imports it."""

    name = "datasets"
    verbose_name = "Data sintetis"
    default_auto_field = "django.db.models.BigAutoField"
