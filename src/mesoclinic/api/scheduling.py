"""API routes for the scheduling domain."""

from ninja import Router

router = Router(tags=["scheduling"])
