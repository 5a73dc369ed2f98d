"""Follow-up reminders: next-update promises, approval nudges, the root-cause analysis, follow-ups.

Reminders are rows in the ``reminder`` table (:mod:`commsbot.store.tables.reminders`). The use
cases that cause them plan them in their own transaction (:mod:`.plan`); firing claims each row
atomically (:mod:`.firing`), so several replicas on one PostgreSQL remind once; APScheduler only
wakes the process up at the next due time (:mod:`.scheduler`).
"""
