// en: chat
export default {
  'chat.placeholder': 'Your message…',
  'chat.send': 'Send',
  'chat.me': 'You',
  'chat.plenary': 'Joint session',
  'chat.private': 'Private meeting: only those present see it',
  'chat.notKept': 'This chat is not kept after the session.',
  'chat.keepTitle': 'Keeping the chat has been proposed',
  'chat.keepProposed': 'The mediator proposes to keep the written chat: open the chat to answer.',
  'chat.agree': 'I agree that this chat is kept in the case file',
  'chat.agreements': 'Agreements received: {count}. The chat is kept only if everyone agrees.',
  'chat.keepToggle': 'Propose to keep the chat after the session',
  'chat.notNow': 'You cannot write here at the moment.',
  'chat.movedAway': "You changed room: this message was not sent.",
  'chat.failed': 'The message could not be sent. Please try again.',
};
