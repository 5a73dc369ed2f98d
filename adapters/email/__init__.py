"""Subscriber email over SMTP: :class:`adapters.email.sender.SmtpSender` (aiosmtplib).

Implements :class:`commsbot.subscriptions.ports.MailSender`. aiosmtplib is imported only by the
sender module, so importing this package costs nothing.
"""
