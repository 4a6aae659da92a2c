"""The shared whiteboard, pure: what a client may send, the ordered log, the board, exports.

Modules, lowest first:

- ``ops``: the client operations, validated and bounded (sizes, counts, coordinates, colours).
- ``log``: the ordered log and the pure functions that define the board's state from it.
- ``board``: one room's board (order, undo/redo, budgets) and its snapshot.
- ``geometry``: where each object lies when drawn, shared by both exports.
- ``svg``, ``png``: the board as a standalone SVG document or a PNG image.
"""
