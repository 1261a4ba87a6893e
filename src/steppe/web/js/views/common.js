// Pieces several views share: avatars, user rows, the action texts of service messages.

import { h, icon } from '../dom.js';
import { bindSrc, pickSize } from '../files.js';
import { fullName, initials, lastSeen, snippet } from '../format.js';

const AVATAR_PX = { xs: 32, sm: 40, md: 54, xl: 120 };

export function colorOf(id) {
  return `av-c${Math.abs(Number(id) || 0) % 7}`;
}

/** An avatar for a dialog or a user: coloured circle with initials, an online dot if asked. */
export function avatar(store, { dialog, user, size = 'md', online = false } = {}) {
  let content;
  let cls;
  let photo = null;
  const photos = store.photos;
  if (dialog && store.isSaved(dialog)) {
    cls = 'av-saved';
    content = icon('bookmark');
  } else if (dialog && dialog.chat.kind !== 'private') {
    cls = colorOf(dialog.chat.id);
    content = initials(dialog.chat.title);
    photo = photos ? photos.chat(dialog.chat.id) : null;
  } else {
    const u = user || (dialog ? store.user(dialog.peer_user_id) : null);
    cls = colorOf(u ? u.id : 0);
    content = initials(u ? fullName(u) : '?');
    photo = photos && u && u.id ? photos.user(u.id) : null;
  }
  const el = h('div', { class: `avatar avatar-${size} ${cls}` }, h('span', { class: 'avatar-text' }, content));
  const best = photo ? pickSize(photo.sizes, (AVATAR_PX[size] || 54) * (devicePixelRatio || 1)) : null;
  if (best && store.urls) {
    el.classList.add('has-photo');
    el.append(bindSrc(store.urls, h('img', { class: 'avatar-photo', alt: '', draggable: 'false', dataset: { fileId: best.file_id } }), best.file_id));
  }
  if (online) el.append(h('span', { class: 'online-dot' }));
  return el;
}

/** Who sent a message: a person, or a channel (its posts carry sender_id = -chat id). */
export function senderName(store, id) {
  if (id < 0) return store.chatName(-id);
  return fullName(store.user(id));
}

/** The avatar of a message's sender: a person's, or a channel's. */
export function senderAvatar(store, id, size = 'sm') {
  if (id < 0) {
    const chatId = -id;
    const dialog = store.dialogs.get(chatId) || { chat: { id: chatId, kind: 'channel', title: store.chatName(chatId) } };
    return avatar(store, { dialog, size });
  }
  return avatar(store, { user: store.user(id) || { id }, size });
}

const DOC_LABEL = { video: 'Video', audio: 'Audio', voice: 'Voice message', animation: 'GIF' };

/** What a media message is, in a few words (chat list, reply quotes, pinned bar). */
export function mediaLabel(msg) {
  if (!msg) return '';
  if (msg.media && msg.media.type === 'photo') return msg.grouped_id ? 'Album' : 'Photo';
  if (msg.media && msg.media.type === 'document') {
    const doc = msg.media.document;
    if (DOC_LABEL[doc.kind]) return doc.kind === 'audio' && doc.title ? [doc.performer, doc.title].filter(Boolean).join(' – ') : DOC_LABEL[doc.kind];
    return doc.name || 'File';
  }
  if (msg.location) return msg.venue ? 'Venue' : 'Location';
  if (msg.venue) return 'Venue';
  if (msg.contact) return 'Contact';
  if (msg.poll) return `Poll: ${msg.poll.question || ''}`.trim();
  if (msg.dice) return msg.dice.emoji || 'Dice';
  if (msg.outgoing) return msg.outgoing.label();
  return '';
}

/** One line for a message of any kind: its text, or what it holds, or both. */
export function summary(msg, max = 120) {
  if (!msg) return '';
  const label = mediaLabel(msg);
  const text = snippet(msg.text, max);
  if (label && text) return `${label}, ${text}`.slice(0, max + label.length + 2);
  return text || label;
}

export function peerOnline(store, dialog) {
  if (!dialog || dialog.chat.kind !== 'private' || store.isSaved(dialog)) return false;
  const u = store.users.get(dialog.peer_user_id);
  return !!(u && u.online);
}

/** A row for a person: avatar, name, second line; `extra` elements go to the right. */
export function userRow(store, user, { sub, onclick, extra = [], cls = '' } = {}) {
  const second = sub !== undefined ? sub : (user.username ? `@${user.username}` : lastSeen(user));
  return h('div', { class: `row ${cls}`.trim(), role: onclick ? 'button' : null, tabindex: onclick ? '0' : null, onclick,
    onkeydown: onclick ? (e) => { if (e.key === 'Enter') onclick(e); } : null, dataset: { userId: String(user.id) } },
  avatar(store, { user, online: !!user.online && !user.is_self }),
  h('div', { class: 'row-body' },
    h('div', { class: 'row-title', text: user.is_self ? `${fullName(user)} (you)` : fullName(user) }),
    h('div', { class: `row-sub ${user.online && sub === undefined && !user.username ? 'accent' : ''}`, text: second })),
  extra);
}

function nameOf(store, id) {
  if (store.me && id === store.me.id) return 'You';
  if (id < 0) return store.chatName(-id);
  return fullName(store.user(id));
}

const kindWord = (store, msg) => (store.dialogs.get(msg.chat_id)?.chat.kind === 'channel' ? 'channel' : 'group');

function names(store, ids) {
  const list = (ids || []).map((id) => nameOf(store, id));
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
}

/** Per service action: the sentence that shows it. Extension point for new action types. */
export const actionTexts = {
  chat_create: (store, msg) => `${nameOf(store, msg.sender_id)} created the group “${msg.action.title || ''}”`,
  chat_add_user: (store, msg) => {
    const ids = msg.action.user_ids || [];
    if (ids.length === 1 && ids[0] === msg.sender_id) return `${nameOf(store, msg.sender_id)} joined the group`;
    return `${nameOf(store, msg.sender_id)} added ${names(store, ids)}`;
  },
  chat_delete_user: (store, msg) => {
    const ids = msg.action.user_ids || [];
    if (ids.length === 1 && ids[0] === msg.sender_id) return `${nameOf(store, msg.sender_id)} left the group`;
    return `${nameOf(store, msg.sender_id)} removed ${names(store, ids)}`;
  },
  chat_edit_title: (store, msg) => (kindWord(store, msg) === 'channel' ? `Channel name was changed to “${msg.action.title || ''}”`
    : `${nameOf(store, msg.sender_id)} changed the group name to “${msg.action.title || ''}”`),
  chat_edit_photo: (store, msg) => (kindWord(store, msg) === 'channel' ? 'Channel photo was updated'
    : `${nameOf(store, msg.sender_id)} changed the group photo`),
  chat_delete_photo: (store, msg) => (kindWord(store, msg) === 'channel' ? 'Channel photo was removed'
    : `${nameOf(store, msg.sender_id)} removed the group photo`),
  channel_create: (store, msg) => `Channel “${msg.action.title || ''}” created`,
  chat_join: (store, msg) => `${names(store, msg.action.user_ids)} joined the group`,
  chat_joined_by_link: (store, msg) => `${names(store, msg.action.user_ids)} joined the group via invite link`,
  chat_joined_by_request: (store, msg) => `${names(store, msg.action.user_ids)} was accepted to the group`,
  topic_create: (store, msg) => `${nameOf(store, msg.sender_id)} created the topic “${msg.action.title || ''}”`,
  topic_edit: (store, msg) => {
    const a = msg.action;
    const who = nameOf(store, msg.sender_id);
    if (a.closed === true) return `${who} closed the topic`;
    if (a.closed === false) return `${who} reopened the topic`;
    return `${who} renamed the topic to “${a.title || ''}”`;
  },
  chat_migrate_to: () => 'This group was upgraded to a supergroup',
  channel_migrate_from: (store, msg) => `The group “${msg.action.title || ''}” was upgraded to a supergroup`,
  pin_message: (store, msg) => `${nameOf(store, msg.sender_id)} pinned a message`,
};

export function actionText(store, msg) {
  const fn = actionTexts[msg.action.type];
  return fn ? fn(store, msg) : 'Service message';
}
