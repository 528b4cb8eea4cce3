from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "mesoclinic.catalogue"
    label = "catalogue"
    verbose_name = "Treatments and products"
