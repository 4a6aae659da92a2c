// English catalogue: one file per area in en/, merged here.
// Every area file holds the keys of its own prefixes; no key is in two files (tests/frontend).
import agenda from './en/agenda.js';
import audit from './en/audit.js';
import board from './en/board.js';
import chat from './en/chat.js';
import common from './en/common.js';
import dashboard from './en/dashboard.js';
import documents from './en/documents.js';
import join from './en/join.js';
import room from './en/room.js';
import signing from './en/signing.js';
import templates from './en/templates.js';
import requests from './en/requests.js';
import text from './en/text.js';
import textsign from './en/textsign.js';
import comments from './en/comments.js';

export const AREAS = { common, dashboard, audit, join, room, board, documents, chat, agenda, templates, requests, text, signing, textsign, comments };

export default { ...common, ...dashboard, ...audit, ...join, ...room, ...board, ...documents, ...chat, ...agenda, ...templates, ...requests, ...text, ...signing, ...textsign, ...comments };
