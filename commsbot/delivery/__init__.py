"""The broadcast engine's pure parts: what a delivery is, its configuration, the ports, the
renderings per surface.

- :mod:`.model`: a delivery row (pending → sending → sent | retrying | dead) and its key.
- :mod:`.ports`: the outbox's repository, and the Destination / Notifier a delivery goes to.
- :mod:`.config`: ``[[destinations]]`` and ``[[notifiers]]``; :mod:`.registry`: their types.
- :mod:`.render`: the renderings of an update per surface; :mod:`.snapshot`: what a delivery
  sends, frozen when it is planned.

Approving an update writes one delivery per configured destination in the approving
transaction (:mod:`commsbot.services.outbox`); the dispatcher
(:mod:`commsbot.engines.dispatcher`) hands each to its Destination until it is sent or dead.
Internal notices (approval requests, decisions, dead deliveries, reminders) reach the
Notifiers the same way. The SQL is :mod:`commsbot.store.deliveries`.
"""
