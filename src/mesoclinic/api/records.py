"""API routes for the records domain."""

from ninja import Router

router = Router(tags=["records"])
