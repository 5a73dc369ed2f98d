"""Discord: announcements, the ``/incident`` app commands and approval buttons.

The same steps as Slack's, with discord.py typing the wire (``discord.types``) and parsing
interactions into its models:

- act: ``interact`` (who is acting, a use case in a worker thread, answering one person), and
  the listeners: ``commands`` (the ``/incident`` group), ``buttons`` (persistent Approve / Edit
  / Reject and Snooze / Cancel, and their modals), ``complete`` (autocomplete).
- render: ``replies`` (answers to one person), ``render`` (updates and notices as embeds within
  Discord's limits).
- the broadcast engine's ``discord`` targets: ``destination``, ``notifier``, over ``rest``
  (discord.py's REST client, its errors as ``DeliveryFailed``, finding an earlier post).
- start-up: ``wiring`` (the registry's factories), ``runner`` and ``client`` (the gateway inside
  ``commsbot run``), ``cli`` (``commsbot discord …``); the ``[discord]`` settings models are in
  ``commsbot/discord_config.py``.

Importing this package imports nothing heavy; discord.py is imported by the modules that use it.
"""
