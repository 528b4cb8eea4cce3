"""Clients: register, read, search, change."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.api.types import Email, InputSchema, IsoDate, Phone, Text
from mesoclinic.core.audit import audit_read
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people import selectors, services
from mesoclinic.people.errors import PeopleErrorCode
from mesoclinic.people.models import Client, Sex
from mesoclinic.people.roles import Access, require
from mesoclinic.people.selectors import client_by_id

router = Router(tags=["clients"])

MAX_SEARCH_RESULTS = 100


class ClientIn(InputSchema):
    """A new client. Names are one line of text; the email and the phone number (UK unless
    it starts with +country) are checked; the birth date is ``YYYY-MM-DD`` text."""

    given_name: Text = Field(min_length=1, max_length=100)
    family_name: Text = Field(min_length=1, max_length=100)
    birth_date: IsoDate
    email: Email = ""
    phone: Phone = ""
    sex: Sex = Sex.UNKNOWN

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "given_name": "Ada",
                    "family_name": "Lovelace",
                    "birth_date": "1985-12-10",
                    "email": "ada@example.com",
                    "phone": "07700 900123",
                    "sex": "female",
                }
            ]
        }
    }


class ClientPatch(InputSchema):
    """Any of the fields of ``ClientIn``; those left out keep their value."""

    given_name: Text | None = Field(None, min_length=1, max_length=100)
    family_name: Text | None = Field(None, min_length=1, max_length=100)
    birth_date: IsoDate | None = None
    email: Email | None = None
    phone: Phone | None = None
    sex: Sex | None = None

    model_config = {"json_schema_extra": {"examples": [{"phone": "07700 900321"}]}}


class ClientOut(Schema):
    id: str
    given_name: str
    family_name: str
    birth_date: dt.date
    email: str
    phone: str
    sex: str


def client_out(client: Client) -> dict[str, object]:
    return {
        "id": str(client.pk),
        "given_name": client.given_name,
        "family_name": client.family_name,
        "birth_date": client.birth_date,
        "email": client.email,
        "phone": client.phone,
        "sex": client.sex,
    }


@router.post("", response={201: ClientOut})
def client_create(request: HttpRequest, payload: ClientIn) -> Status[dict[str, object]]:
    """Register a client. A birth date in the future (or over 120 years ago) is refused
    with 422 ``invalid_birth_date``."""
    require(request.user, Access.STAFF)
    client = services.client_create(actor=request.user, **payload.dict())
    return Status(201, client_out(client))


@router.get("", response=list[ClientOut])
def client_search(request: HttpRequest, search: str = "") -> list[dict[str, object]]:
    """Clients matching every word of ``search`` in name, email or phone (first 100)."""
    require(request.user, Access.STAFF)
    clients = list(selectors.client_search(query=search)[:MAX_SEARCH_RESULTS])
    audit_read(
        actor=request.user,
        action="client.search",
        summary=f"search={search[:80]!r}",
        data={"results": len(clients)},
    )
    return [client_out(client) for client in clients]


@router.get("/{client_id}", response=ClientOut)
def client_get(request: HttpRequest, client_id: str) -> dict[str, object]:
    """One client by id."""
    require(request.user, Access.STAFF)
    client = client_by_id(client_id)
    audit_read(actor=request.user, action="client.view", obj=client, client_id=client.pk)
    return client_out(client)


@router.patch("/{client_id}", response=ClientOut)
def client_update(request: HttpRequest, client_id: str, payload: ClientPatch) -> dict[str, object]:
    """Change any of a client's details (validated as at registration); 200 with the client."""
    require(request.user, Access.STAFF)
    client = client_by_id(client_id)
    changes = payload.dict(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise InvalidInput(
            PeopleErrorCode.INVALID_INPUT,
            "A field given must have a value (leave it out to keep it).",
        )
    client = services.client_update(actor=request.user, client=client, **changes)
    return client_out(client)
