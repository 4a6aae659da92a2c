// en: the room's shared tools (tabs)
export default {
  'workspace.board': 'Whiteboard',
  'workspace.documents': 'Documents',
  'workspace.chat': 'Chat',
  'workspace.boardShort': 'Board',
  'workspace.documentsShort': 'Docs',
  'workspace.chatShort': 'Chat',
  'workspace.boardShown': "{name} is showing you the board.",
  'workspace.unread': '{count} unread message(s)',
};
