"""Encryption at rest: envelope encryption and the keys behind it.

- ``envelope``: AES-256-GCM of one item under its own data key, bound to where it lives.
- ``keys``: the key-encryption keys and the log HMAC key, behind a ``KeyProvider``.
- ``keystore``: the wrapped data keys of the case files, in a database of their own.
- ``vault``: envelope encryption glued to a ``KeyProvider``, what a store calls.
"""
