"""E-mail that does not get lost: built, stored in the outbox, then sent.

- ``messages``: what each kind of message says (plain text and HTML, fr and en) and the
  MIME message made of stored contents; pure.
- ``survey_texts``: the questionnaire's e-mail after a session (fr, en); pure (queued by
  :mod:`server.survey_mail`).
- ``transport``: handing a message to an SMTP server (aiosmtplib), behind a small Protocol
  (tests use a real local server or a fake).
- ``worker``: the loop that sends the outbox's due messages, retries with back-off and
  gives up after a bounded time; an app background task.

Messages are stored first (:mod:`records.stores.outbox`), so a server that is down, a
restart or a second node loses or doubles nothing. No address or content is logged.
"""
