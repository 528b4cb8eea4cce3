from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "mesoclinic.people"
    label = "people"
    verbose_name = "People and places"

    def ready(self) -> None:
        from mesoclinic.people import login_signals

        login_signals.connect()
