// End-to-end media encryption, key side (main thread, WebCrypto). Formats: docs/e2ee.md.
//
// - One ECDH P-256 key pair per page load (makeKeyPair): the private key never leaves
//   WebCrypto (non-extractable); the public key goes on the wire as its raw uncompressed
//   point (65 bytes, 0x04 first), base64url without padding.
// - Room key: 32 random bytes, the AES-GCM-256 key of every media frame (see worker.js).
// - Key wrap (docs/e2ee.md §2): the group's distributor sends the room key to each member.
//     shared = ECDH(myPrivate, peerPublic), 256 bits
//     info   = UTF-8 "palabre-e2ee-v1 wrap|<session_id>|<group>|<epoch>|<sender>|<recipient>"
//     KEK    = HKDF-SHA256(ikm = shared, salt = UTF-8 "palabre-e2ee-v1", info) -> AES-GCM-256
//     wire   = { iv: b64url(12 random bytes), data: b64url(AES-GCM(KEK, iv, roomKey, aad = info)) }
//   (data is 48 bytes: 32 of ciphertext then the 16-byte tag). Both ends compute the same
//   info, so a wrap made for another recipient, group, epoch or sender fails to unwrap.
// - Verification code (docs/e2ee.md §3): SHA-256 over "palabre-e2ee-v1 code\n" then one line
//   "<key>:<public_key>\n" per member with a public key, sorted by key; its first 6 bytes
//   are shown as 6 words (words.js), as digits, and as lowercase hex (data-code).
// Nothing here logs or returns key material other than what the caller asked for.

import { WORDS } from './words.js';

const LABEL = 'palabre-e2ee-v1';
const utf8 = new TextEncoder();

export function b64url(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 1) binary += String.fromCharCode(view[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error('not base64url');
  }
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

export async function makeKeyPair() {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
    'deriveBits',
  ]);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { publicKey: b64url(raw), privateKey: pair.privateKey };
}

export function newRoomKey() {
  return crypto.getRandomValues(new Uint8Array(32));
}

function wrapInfo({ sessionId, group, epoch, sender, recipient }) {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error('bad epoch');
  return utf8.encode(`${LABEL} wrap|${sessionId}|${group}|${epoch}|${sender}|${recipient}`);
}

async function importPublic(text) {
  const raw = fromB64url(text);
  if (raw.length !== 65 || raw[0] !== 0x04) throw new Error('bad public key');
  return crypto.subtle.importKey('raw', raw, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
}

// The key-encryption key between this page's private key and the other end's public key.
async function deriveKek(privateKey, otherPublic, info) {
  const peer = await importPublic(otherPublic);
  const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, 256);
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: utf8.encode(LABEL), info },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function wrapRoomKey({
  privateKey, peerPublic, roomKey, sessionId, group, epoch, sender, recipient,
}) {
  if (!(roomKey instanceof Uint8Array) || roomKey.length !== 32) throw new Error('bad room key');
  const info = wrapInfo({ sessionId, group, epoch, sender, recipient });
  const kek = await deriveKek(privateKey, peerPublic, info);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: info }, kek, roomKey);
  return { iv: b64url(iv), data: b64url(data) };
}

export async function unwrapRoomKey({
  privateKey, senderPublic, wrapped, sessionId, group, epoch, sender, recipient,
}) {
  const iv = fromB64url(wrapped && wrapped.iv);
  const data = fromB64url(wrapped && wrapped.data);
  if (iv.length !== 12 || data.length !== 48) throw new Error('bad wrapped key');
  const info = wrapInfo({ sessionId, group, epoch, sender, recipient });
  const kek = await deriveKek(privateKey, senderPublic, info);
  const key = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: info }, kek, data);
  return new Uint8Array(key);
}

// Sorted by key in code-unit order (the keys are ASCII ids, so this is also byte order).
export async function verificationCode(members) {
  const listed = members
    .filter((m) => m.public_key !== null && m.public_key !== undefined)
    .map((m) => [String(m.key), String(m.public_key)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const text = `${LABEL} code\n` + listed.map(([key, pub]) => `${key}:${pub}\n`).join('');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)));
  const bytes = digest.slice(0, 6);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return { bytes, hex };
}

// Byte i picks word i of the list; an unknown language falls back to English.
export function codeWords(bytes, lang) {
  const list = WORDS[lang] || WORDS.en;
  return Array.from(bytes.slice(0, 6), (b) => list[b]);
}

// The 48 bits as one decimal number, 15 digits (2^48 < 10^15) in 3 groups of 5.
export function codeDigits(bytes) {
  let value = 0;
  for (const b of bytes.slice(0, 6)) value = value * 256 + b; // < 2^53: exact
  const digits = String(value).padStart(15, '0');
  return `${digits.slice(0, 5)} ${digits.slice(5, 10)} ${digits.slice(10, 15)}`;
}
