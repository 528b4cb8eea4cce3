"""API routes for the safety domain."""

from ninja import Router

router = Router(tags=["safety"])
