// How one message looks. `messageKinds` is the registry: the first kind whose `match` accepts a
// message renders it, so photos, files, polls or bot keyboards slot in by registering a kind
// (or a `parts` hook that adds to a text bubble) without touching the chat view.

import { h, icon } from '../dom.js';
import { formatTime, fullName, renderText } from '../format.js';
import { actionText, colorOf, senderAvatar, senderName, summary } from './common.js';

/** Extra pieces of a bubble, in order (e.g. a future inline keyboard goes after 'text'). */
export const bubbleParts = [
  { id: 'sender', render: senderPart },
  { id: 'via', render: viaPart },
  { id: 'forward', render: forwardPart },
  { id: 'reply', render: replyPart },
  { id: 'text', render: textPart },
];

/**
 * What a message's look depends on besides the message itself (this user's reactions, their
 * answer to a poll): functions (msg, store) -> a JSON-able value, part of the redraw signature.
 */
export const sigParts = [];

export function messageSig(msg, store) {
  return sigParts.map((fn) => fn(msg, store));
}

export const messageKinds = [
  { kind: 'service', match: (msg) => !!msg.action, render: renderService },
  { kind: 'text', match: () => true, render: renderBubble },
];

export function registerMessageKind(kind, match, render) {
  messageKinds.splice(messageKinds.length - 1, 0, { kind, match, render });
}

/**
 * A part is {id, render(msg, view) -> element | null}; with `outside: true` it goes under the
 * bubble (an inline keyboard). A part may add classes to the bubble through `view.bubbleClasses`
 * and set `view.metaPlaced` when it has shown the time itself (a photo without a caption).
 */
export function registerBubblePart(part, after = 'text') {
  const at = bubbleParts.findIndex((p) => p.id === after);
  bubbleParts.splice(at < 0 ? bubbleParts.length : at + 1, 0, part);
}

/**
 * `view` carries what a message needs from its chat: store, dialog, flags (first, last, out),
 * status ('sending' | 'failed' | 'sent' | 'read') and callbacks (jump).
 */
export function renderMessage(msg, view) {
  const kind = messageKinds.find((k) => k.match(msg, view));
  return kind.render(msg, view);
}

function renderService(msg, view) {
  return h('div', { class: 'msg service', dataset: { id: String(msg.id) } },
    h('span', { class: 'service-pill', text: actionText(view.store, msg) }));
}

function renderBubble(msg, view) {
  const { out, first, last, group } = view.flags;
  const bubble = h('div', { class: 'bubble' });
  const below = [];
  view.bubbleClasses = [];
  for (const part of bubbleParts) {
    const el = part.render(msg, view);
    if (el && part.outside) below.push(el);
    else if (el) bubble.append(el);
  }
  bubble.classList.add(...view.bubbleClasses);
  const row = h('div', {
    class: `msg ${out ? 'out' : 'in'} ${first ? 'first' : ''} ${last ? 'last' : ''} ${msg.pinned ? 'is-pinned' : ''}`,
    dataset: { id: String(msg.id || ''), randomId: msg.random_id ? String(msg.random_id) : undefined },
  });
  if (group && !out) row.append(last ? senderAvatar(view.store, msg.sender_id) : h('div', { class: 'avatar-gap' }));
  if (msg.sender_id < 0) row.classList.add('post');
  row.append(below.length ? h('div', { class: 'msg-col' }, bubble, below) : bubble);
  return row;
}

function senderPart(msg, view) {
  const { out, first, group } = view.flags;
  if (!group || out || !first) return null;
  if (msg.sender_id < 0) return h('div', { class: `msg-sender name-${colorOf(msg.sender_id)}` }, h('span', { text: senderName(view.store, msg.sender_id) }));
  const user = view.store.user(msg.sender_id);
  return h('div', { class: `msg-sender name-${colorOf(msg.sender_id)}` }, h('span', { text: fullName(user) }),
    user && user.is_bot ? h('span', { class: 'bot-label', text: 'bot' }) : null,
    view.rank ? view.rank(msg.sender_id) : null);
}

/** "via @bot" on a message sent through a bot's inline mode. */
function viaPart(msg, view) {
  if (!msg.via_bot_id) return null;
  const bot = view.store.user(msg.via_bot_id);
  const name = bot && bot.username ? `@${bot.username}` : 'a bot';
  return h('div', { class: 'msg-via' }, 'via ', bot && bot.username
    ? h('a', { href: '#', class: 'mention', dataset: { username: bot.username }, text: name }) : h('b', { text: name }));
}

function forwardPart(msg, view) {
  if (!msg.fwd_from) return null;
  const id = msg.fwd_from.from_user_id;
  // A channel post's copy in its discussion group is shown as the post itself.
  if (id < 0 && msg.chat_id !== -id && msg.sender_id === id) return null;
  return h('div', { class: 'msg-fwd' }, 'Forwarded from ', h('b', { text: senderName(view.store, id) }));
}

function replyPart(msg, view) {
  if (!msg.reply_to) return null;
  const quoted = view.store.message(msg.chat_id, msg.reply_to);
  if (!quoted) view.needRef(msg.reply_to);
  let name = '';
  let text = 'Loading…';
  if (quoted && quoted.deleted) text = 'Deleted message';
  else if (quoted) {
    name = senderName(view.store, quoted.sender_id);
    text = quoted.action ? actionText(view.store, quoted) : summary(quoted, 80);
  }
  return h('div', { class: `msg-reply bar-${colorOf(quoted ? quoted.sender_id : 0)}`, role: 'button', tabindex: '0',
    onclick: (e) => { e.stopPropagation(); view.jump(msg.reply_to); } },
  h('div', { class: 'reply-name', text: name }), h('div', { class: 'reply-text', text }));
}

function textPart(msg, view) {
  if (!msg.text && view.metaPlaced) return null;
  const body = renderText(msg.text || '', msg.entities || [], h('div', { class: 'msg-text', dir: 'auto' }));
  body.append(meta(msg, view));
  return body;
}

export function meta(msg, view) {
  const status = view.status;
  const bits = [];
  if (msg.views !== undefined && msg.views !== null && !msg.pending) {
    bits.push(h('span', { class: 'views', title: `${msg.views} views` }, icon('eye'), h('span', { class: 'views-count', text: compactNumber(msg.views) })));
  }
  if (msg.pinned) bits.push(icon('pin', 'meta-pin'));
  if (msg.post_author) bits.push(h('span', { class: 'signature', text: `${msg.post_author},` }));
  if (msg.edit_date) bits.push(h('span', { class: 'edited', text: 'edited' }));
  bits.push(h('span', { class: 'time', text: formatTime(msg.date), title: new Date(msg.date * 1000).toLocaleString() }));
  if (view.flags.out) {
    const name = { sending: 'clock', failed: 'error', sent: 'tick', read: 'ticks' }[status] || 'tick';
    bits.push(h('span', { class: `status status-${status}`, 'aria-label': status }, icon(name)));
  }
  return h('span', { class: 'meta' }, bits);
}

/** 1234 -> 1.2K, as counters are shown. */
export function compactNumber(n) {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1000).toFixed(n < 10000 ? 1 : 0).replace(/\.0$/, '')}K`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0).replace(/\.0$/, '')}M`;
}
