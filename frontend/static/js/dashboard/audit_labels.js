// The audit log in words a mediator can read, and show a party who asks: each action and each
// channel ("via") the server writes becomes a catalogue key. Pure, so the tests can walk it.

// An action code ("doc.share") is labelled by ``audit.action.<code>``.
export function actionKey(action) {
  return `audit.action.${action}`;
}

// The channel: the live session (Socket.IO), the room's file transfers (HTTP), the mediator's
// case pages (``api:METHOD /path``), the command line, the retention purge, the mail outbox's
// sender, a software update.
export function viaKey(via) {
  if (via === 'socket') return 'audit.via.socket';
  if (via === 'http') return 'audit.via.http';
  if (via === 'cli') return 'audit.via.cli';
  if (via === 'purge') return 'audit.via.purge';
  if (via === 'mail') return 'audit.via.mail';
  if (via === 'request-form') return 'audit.via.requestForm';
  if (via.startsWith('api:')) return 'audit.via.api';
  if (via.startsWith('migration:')) return 'audit.via.migration';
  return 'audit.via.other';
}
