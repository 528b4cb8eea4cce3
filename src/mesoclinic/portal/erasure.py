"""Closing a client's portal account when they are erased (registered with
:mod:`mesoclinic.retention.participants` in the portal's ``AppConfig.ready``).

The account row, its one-time links and waiting online bookings are deleted; the login
user itself stays (audit entries point at it) but is switched off and stripped of the
email address its name was made from. Sign-up requests made with the client's email go too.
"""

from __future__ import annotations

from django.db.models import Q

from mesoclinic.people.models import Client
from mesoclinic.portal.models import ClientAccount, SignupRequest


def account_close(client: Client) -> list[str]:
    """Close ``client``'s portal account and remove their sign-up requests; what was done."""
    done: list[str] = []
    account = ClientAccount.objects.select_related("user").filter(client=client).first()
    emails = {client.email.lower()} if client.email else set()
    if account is not None:
        emails.add(account.email.lower())
        user = account.user
        user.username = f"erased-client-{user.pk}"
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        ClientAccount.objects.filter(pk=account.pk).delete()
        done.append("portal account closed and its sign-in details removed")
    matching = Q()
    for email in emails:
        matching |= Q(email__iexact=email)
    signups = SignupRequest.objects.filter(matching) if emails else None
    if signups is not None and signups.exists():
        count, _ = signups.delete()
        done.append(f"{count} sign-up request record(s) deleted")
    return done
