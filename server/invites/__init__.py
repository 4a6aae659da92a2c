"""Invitations: everything that makes and checks a participant's personal link.

- ``signing``: the link-signing key, created once and kept with the data.
- ``links``: signed, revocable personal links (:class:`~server.invites.links.LinkService`).
- ``ics``: the calendar invitation (``.ics``) sent with a link.

The HTTP side (what a link opens) is :mod:`server.rest.join`; the live side checks the
same tokens in :mod:`server.realtime`.
"""
