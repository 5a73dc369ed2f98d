"""The broadcast engine: a durable outbox, its dispatcher, retries, rate limits and rendering.

Approving an update writes one delivery per configured destination in the approving
transaction (:mod:`commsbot.services.outbox`); the dispatcher (:mod:`commsbot.engines.dispatcher`)
hands each to its :class:`~commsbot.delivery.ports.Destination` until it is sent or dead.
Internal notices (approval requests, decisions, dead deliveries, reminders) reach the
:class:`~commsbot.delivery.ports.Notifier` s the same way.

This file imports nothing, so ``import commsbot.delivery.model`` stays cheap for the CLI.
"""
