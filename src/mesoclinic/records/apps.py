from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "mesoclinic.records"
    label = "records"
    verbose_name = "Records"
