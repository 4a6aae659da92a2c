// fr: the room's shared tools (tabs)
export default {
  'workspace.board': 'Tableau',
  'workspace.documents': 'Documents',
  'workspace.chat': 'Discussion',
  'workspace.boardShort': 'Tableau',
  'workspace.documentsShort': 'Docs',
  'workspace.chatShort': 'Discussion',
  'workspace.boardShown': "{name} vous montre le tableau.",
  'workspace.unread': '{count} message(s) non lu(s)',
};
