"""Payment providers for online deposits, behind one small interface shaped like the
card processors' "payment intents": the clinic asks for an intent for an amount, sends
the client to the provider's checkout page, and on the client's return asks the provider
what happened. Card numbers are typed into the provider's page only; the clinic keeps
the intent's id and status, never card data.

``sandbox`` is a stand-in provider for the demo and tests: its checkout page is served by
mesoclinic itself, takes the processors' test card numbers and moves no money. A real
processor plugs in as another class with the same two methods, chosen by
``MESOCLINIC_PAYMENT_PROVIDER``; ``none`` (the default outside the demo) leaves deposits
to be paid at the clinic.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.urls import reverse

SANDBOX_CARDS = {
    "4242424242424242": True,  # succeeds
    "4000000000000002": False,  # declined
}
"""The sandbox's test cards: the number alone decides the outcome."""


@dataclass(frozen=True, slots=True)
class Intent:
    """A provider's payment intent as the clinic sees it."""

    id: str
    amount: Decimal
    status: str  # "pending" | "succeeded" | "failed"
    checkout_url: str


class PaymentProvider(Protocol):
    code: str

    def create_intent(self, *, amount: Decimal, reference: str) -> Intent:
        """A new intent for ``amount`` (GBP); the client pays at ``checkout_url``."""

    def intent(self, intent_id: str) -> Intent:
        """The intent as the provider now knows it (the only source of truth)."""


class SandboxProvider:
    """The demo's provider: intents live in the clinic's own table and are settled by
    the sandbox checkout page (``portal:sandbox_checkout``)."""

    code = "sandbox"

    def create_intent(self, *, amount: Decimal, reference: str) -> Intent:
        intent_id = f"sbx_{secrets.token_urlsafe(18)}"
        return Intent(intent_id, amount, "pending", self._checkout_url(intent_id))

    def intent(self, intent_id: str) -> Intent:
        from mesoclinic.billing.models import OnlinePayment

        row = OnlinePayment.objects.filter(provider=self.code, intent_id=intent_id).first()
        if row is None:
            raise LookupError(intent_id)
        return Intent(row.intent_id, row.amount, row.status, self._checkout_url(row.intent_id))

    @staticmethod
    def _checkout_url(intent_id: str) -> str:
        return reverse("portal:sandbox_checkout", args=[intent_id])


def payment_provider() -> PaymentProvider | None:
    """The configured provider, or None when deposits are paid at the clinic only."""
    code = str(settings.MESOCLINIC.get("PAYMENT_PROVIDER", "none"))
    return SandboxProvider() if code == SandboxProvider.code else None
