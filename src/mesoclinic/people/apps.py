from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "mesoclinic.people"
    label = "people"
    verbose_name = "People and places"
