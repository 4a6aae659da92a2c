"""The tamper-evident logs: who did what, and who agreed to what.

- ``chain``: the HMAC chain itself (pure): each entry's MAC over the previous one.
- ``table``: a chain kept in a table: locked appends, streamed verification, purge.
- ``audit``: the audit log (who read or wrote what, when, through which path).
- ``consent``: the consent log (every decision of every participant, provable).
- ``consent_policy``: which texts a participant agrees to and what each decision allows.
"""
