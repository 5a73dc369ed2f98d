"""Slack: ``/incident``, approval buttons, forms, and live status-channel posts.

Every listener takes three steps — parse the payload into a typed value, call one use case,
render the result — and the modules follow them:

- wire: :mod:`.wire` — the payloads that arrive and the blocks that leave, as TypedDicts.
- parse: :mod:`.parse` (the ``/incident`` grammar and help), :mod:`.forms` (each modal's
  blocks, and its submission read back into a typed form; errors placed by field).
- act: :mod:`.interact` (acknowledgments, use cases in worker threads, the 2-second wait of a
  form, answering one person, who is acting), and the listeners: :mod:`.commands`
  (``/incident``), :mod:`.buttons` (the controls on messages), :mod:`.modals` (opening,
  refreshing and submitting forms); :mod:`.app` registers them on Bolt (Socket Mode or HTTP).
- render: :mod:`.replies` (answers to one person), :mod:`.render` (what goes in channels: the
  incident card, update replies, approval requests, reminders), :mod:`.blocks` (Block Kit
  builders that escape user text and respect Slack's limits).
- the broadcast engine's ``slack`` targets: :mod:`.destination`, :mod:`.notifier`, over
  :mod:`.webapi` (the Web API client, its failures, finding earlier messages by metadata).
- start-up: :mod:`.config`, :mod:`.runner` (inside ``commsbot run``), :mod:`.cli`
  (``commsbot slack …``), ``manifest.yml`` (the app to install).

Nothing is imported here: the CLI and the configuration load submodules they need.
"""
