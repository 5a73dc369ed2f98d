"""Apprise: any Apprise URL (email, Microsoft Teams, Telegram, Mastodon, Bluesky, X, ntfy …).

:mod:`adapters.apprise.destination` imports apprise itself, only when ``commsbot run`` starts.
Apprise has no idempotency key: after an ambiguous failure a notification may be sent twice.
"""
