from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "mesoclinic.safety"
    label = "safety"
    verbose_name = "Clinical safety"
