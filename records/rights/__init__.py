"""Data-protection duties: how long each kind of data is kept, and each person's rights.

- ``retention``: the policies per kind of data, the purge that applies them, the
  GDPR art. 30 register.
- ``subjects``: access and portability export, erasure on request.
"""
