// Catalogue français (langue de référence): one file per area in fr/, merged here.
// Every area file holds the keys of its own prefixes; no key is in two files (tests/frontend).
import agenda from './fr/agenda.js';
import audit from './fr/audit.js';
import board from './fr/board.js';
import chat from './fr/chat.js';
import common from './fr/common.js';
import dashboard from './fr/dashboard.js';
import documents from './fr/documents.js';
import join from './fr/join.js';
import room from './fr/room.js';
import signing from './fr/signing.js';
import templates from './fr/templates.js';
import requests from './fr/requests.js';
import text from './fr/text.js';
import textsign from './fr/textsign.js';
import comments from './fr/comments.js';

export const AREAS = { common, dashboard, audit, join, room, board, documents, chat, agenda, templates, requests, text, signing, textsign, comments };

export default { ...common, ...dashboard, ...audit, ...join, ...room, ...board, ...documents, ...chat, ...agenda, ...templates, ...requests, ...text, ...signing, ...textsign, ...comments };
