from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "mesoclinic.people"
    label = "people"
    verbose_name = "People and places"

    def ready(self) -> None:
        """Audit entries name the actor's roles as the roles module sees them; logins,
        failures and lockouts are audited."""
        from mesoclinic.core.audit_context import use_staff_roles
        from mesoclinic.people.roles import role_names

        use_staff_roles(lambda user: ",".join(role_names(user)))

        from mesoclinic.people import login_signals

        login_signals.connect()
