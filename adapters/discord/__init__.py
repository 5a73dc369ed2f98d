"""Discord: announcements, the ``/incident`` app commands and approval buttons.

Modules, each small: ``config`` (the ``[discord]`` section, pydantic only), ``rest`` (discord.py's
REST client and error mapping), ``render`` (embeds within Discord's limits), ``destination``
(published updates to channels), ``notifier`` (approval requests and reminders with buttons),
``buttons`` (persistent Approve / Edit / Reject, Snooze / Cancel), ``commands`` (``/incident``),
``client`` (the gateway client for ``commsbot run``) and ``cli`` (``commsbot discord …``).

Importing this package imports nothing heavy; discord.py is imported by the modules that use it.
"""
