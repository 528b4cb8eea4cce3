from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mesoclinic.portal"
    label = "portal"
    verbose_name = "Client portal"

    def ready(self) -> None:
        """Let messaging make the portal's one-time links at send time."""
        from mesoclinic.messaging.links import link_minter_register
        from mesoclinic.portal.links import MINTER, link_mint_for_send

        link_minter_register(MINTER, link_mint_for_send)
