from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "mesoclinic.people"
    label = "people"
    verbose_name = "People and places"

    def ready(self) -> None:
        """Audit entries name the actor's roles as the roles module sees them."""
        from mesoclinic.core.audit_context import use_staff_roles
        from mesoclinic.people.roles import role_names

        use_staff_roles(lambda user: ",".join(role_names(user)))
