"""Reminders' pure parts: next-update promises, approval nudges, the root-cause analysis,
follow-ups.

- :mod:`.model`: a reminder and its rules (due times, business days, repeats).
- :mod:`.notices`: what a fired reminder says; :mod:`.events`: its timeline lines.
- :mod:`.ports`: the repository port; :mod:`.config`: ``[reminders]``.

Reminders are rows (:mod:`commsbot.store.reminders`). The use cases that cause them plan them
in their own transaction (:mod:`commsbot.services.reminder_plans`); firing claims each row
atomically (:mod:`commsbot.services.reminder_firing`), so several replicas on one PostgreSQL
remind once; APScheduler only wakes the process up at the next due time
(:mod:`commsbot.engines.scheduler`). People act on them through :mod:`commsbot.services.reminders`.
"""
