"""The long-running loops of ``commsbot run``: they wait, then call use cases and ports.

- :mod:`.dispatcher`: empties the outbox (one worker per destination and notifier).
- :mod:`.targets`: the dispatcher's destinations and notifiers, made from the configuration.
- :mod:`.scheduler`: fires due reminders (APScheduler only wakes the process).
- :mod:`.statuspage`: the public status page, rendered into memory when the data changes.
- :mod:`.static_export`: the status page written to a folder (a destination and a command).

Engines sit above the use cases (:mod:`commsbot.services`) and never touch the store: the
composition root (:mod:`commsbot.bootstrap`, :mod:`commsbot.runtime`) builds them.
"""
