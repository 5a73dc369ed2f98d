"""Subscribers: people (email) and endpoints (webhooks) that asked for incident updates.

The pure parts of the feature, with no I/O, no SQL and no clock:

- :mod:`~commsbot.subscriptions.model`: the subscriber, its states, who gets which notice,
  confirmation expiry and pruning;
- :mod:`~commsbot.subscriptions.addresses`: email address and webhook URL validation;
- :mod:`~commsbot.subscriptions.tokens`: signed links (confirm, manage, unsubscribe) and the
  keyed hashes that stand in for client addresses;
- :mod:`~commsbot.subscriptions.ratelimit`: sign-up rate limits over a swappable store;
- :mod:`~commsbot.subscriptions.render`: the emails, built from the approved text only;
- :mod:`~commsbot.subscriptions.config`: the ``[subscriptions]`` section;
- :mod:`~commsbot.subscriptions.ports`: what the use cases need from mail servers and stores.

The SMTP sender is ``adapters/email``.
"""
