from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "mesoclinic.retention"
    label = "retention"
    verbose_name = "Record retention and erasure"
