from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mesoclinic.portal"
    label = "portal"
    verbose_name = "Client portal"
