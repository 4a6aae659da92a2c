// fr: chat
export default {
  'chat.placeholder': 'Votre message…',
  'chat.send': 'Envoyer',
  'chat.me': 'Vous',
  'chat.plenary': 'Séance plénière',
  'chat.private': 'Aparté : visible des seuls présents',
  'chat.notKept': 'Cette discussion n’est pas conservée après la séance.',
  'chat.keepTitle': 'Conservation de la discussion proposée',
  'chat.keepProposed': 'Le médiateur propose de conserver la discussion écrite : ouvrez la discussion pour répondre.',
  'chat.agree': 'J’accepte que cette discussion soit conservée dans le dossier',
  'chat.agreements': 'Accords reçus : {count}. La discussion n’est conservée que si chacun accepte.',
  'chat.keepToggle': 'Proposer de conserver la discussion après la séance',
  'chat.notNow': 'Vous ne pouvez pas écrire ici pour le moment.',
  'chat.movedAway': "Vous avez changé de salle : ce message n’a pas été envoyé.",
  'chat.failed': 'Le message n’a pas pu être envoyé. Réessayez.',
};
