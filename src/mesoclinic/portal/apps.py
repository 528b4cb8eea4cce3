from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mesoclinic.portal"
    label = "portal"
    verbose_name = "Client portal"

    def ready(self) -> None:
        """Let messaging make the portal's one-time links at send time, close a client's
        account when they are erased, and tell waiting clients about their offers."""
        from mesoclinic.messaging.links import link_minter_register
        from mesoclinic.portal import waitlist_views
        from mesoclinic.portal.erasure import account_close
        from mesoclinic.portal.links import MINTER, link_mint_for_send
        from mesoclinic.retention.participants import erasure_participant_register
        from mesoclinic.scheduling.services import waitlist_notifier_register

        link_minter_register(MINTER, link_mint_for_send)
        waitlist_notifier_register(waitlist_views.offer_notify)
        erasure_participant_register("portal", account_close)
