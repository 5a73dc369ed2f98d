"""Webhooks: a signed JSON POST of every published update (and notice) to a URL of yours.

The payload is :func:`adapters.webhook.payload.update_payload` (documented in the README);
:mod:`adapters.webhook.destination` sends it with httpx. Light to import: httpx is imported
only by the destination module.
"""
