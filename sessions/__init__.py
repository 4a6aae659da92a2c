"""The live-session domain, free of transport: lobby, roles, rooms, whiteboard, chat."""
