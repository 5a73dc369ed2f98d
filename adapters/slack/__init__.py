"""Slack: ``/incident``, approval buttons, forms, and live status-channel posts.

- :mod:`.app` — the Bolt ``AsyncApp`` and its listeners (Socket Mode or HTTP mode);
  :mod:`.runner` starts it inside ``commsbot run`` when ``SLACK_BOT_TOKEN`` is set.
- :mod:`.destination` / :mod:`.notifier` — the broadcast engine's ``slack`` targets.
- :mod:`.parse` — the ``/incident`` grammar and help; :mod:`.modals` / :mod:`.forms` — forms.
- ``manifest.yml`` — the app to install; ``commsbot slack check`` verifies the setup.

Nothing is imported here: the CLI and the configuration load submodules they need.
"""
