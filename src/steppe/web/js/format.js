// Text: Markdown-style shortcuts to entities (offsets in UTF-16 code units, which is what a
// JavaScript string index already is), entities back to DOM nodes, names, dates and previews.

import { h } from './dom.js';

const PAIRS = [['**', 'bold'], ['__', 'italic'], ['~~', 'strikethrough'], ['||', 'spoiler']];
const LINK = /^\[([^\]\n]+)\]\(((?:https?:\/\/|tg:|mailto:)[^\s()]+)\)/i;
const SAFE_URL = /^(https?:\/\/|tg:|mailto:)/i;

function crosses(a, b) {
  const aEnd = a.offset + a.length;
  const bEnd = b.offset + b.length;
  const overlap = a.offset < bEnd && b.offset < aEnd;
  const nested = (a.offset <= b.offset && bEnd <= aEnd) || (b.offset <= a.offset && aEnd <= bEnd);
  return overlap && !nested;
}

/** `**bold**`, `__italic__`, `~~strike~~`, `||spoiler||`, `` `code` ``, ``` ```pre``` ```, `[text](url)`. */
export function parseMarkdown(source) {
  const src = source.trim();
  let out = '';
  const entities = [];
  const open = new Map();
  let i = 0;
  outer: while (i < src.length) {
    if (src.startsWith('```', i)) {
      const end = src.indexOf('```', i + 3);
      if (end > i + 3) {
        let body = src.slice(i + 3, end);
        let language;
        const first = /^([A-Za-z0-9+#-]{1,20})\n/.exec(body);
        if (first) { language = first[1]; body = body.slice(first[0].length); } else if (body.startsWith('\n')) body = body.slice(1);
        if (body.endsWith('\n')) body = body.slice(0, -1);
        if (body.length) {
          entities.push({ type: 'pre', offset: out.length, length: body.length, ...(language ? { language } : {}) });
          out += body;
          i = end + 3;
          continue;
        }
      }
    }
    if (src[i] === '`') {
      const end = src.indexOf('`', i + 1);
      if (end > i + 1 && !src.slice(i + 1, end).includes('\n')) {
        const body = src.slice(i + 1, end);
        entities.push({ type: 'code', offset: out.length, length: body.length });
        out += body;
        i = end + 1;
        continue;
      }
    }
    for (const [mark, type] of PAIRS) {
      if (!src.startsWith(mark, i)) continue;
      if (open.has(type)) {
        const start = open.get(type);
        open.delete(type);
        if (out.length > start) entities.push({ type, offset: start, length: out.length - start });
        i += mark.length;
        continue outer;
      }
      if (src.indexOf(mark, i + mark.length + 1) > i) {
        open.set(type, out.length);
        i += mark.length;
        continue outer;
      }
    }
    if (src[i] === '[') {
      const m = LINK.exec(src.slice(i));
      if (m) {
        entities.push({ type: 'text_link', offset: out.length, length: m[1].length, url: m[2] });
        out += m[1];
        i += m[0].length;
        continue;
      }
    }
    out += src[i];
    i += 1;
  }
  // Trim what the markers left at the edges, and drop entities that would cross one another.
  const lead = out.length - out.trimStart().length;
  const text = out.trim();
  const kept = [];
  for (const e of entities.sort((a, b) => a.offset - b.offset || b.length - a.length)) {
    let offset = e.offset - lead;
    let end = Math.min(offset + e.length, text.length);
    offset = Math.max(0, offset);
    if (end <= offset) continue;
    const fixed = { ...e, offset, length: end - offset };
    if (!kept.some((k) => crosses(k, fixed) || ((k.type === 'code' || k.type === 'pre') && fixed.offset < k.offset + k.length && k.offset < end))) kept.push(fixed);
  }
  return { text, entities: kept };
}

/** The reverse, for editing a message in the composer. */
export function toMarkdown(text, entities = []) {
  const marks = { bold: '**', italic: '__', strikethrough: '~~', spoiler: '||', code: '`', pre: '```' };
  const inserts = [];
  entities.forEach((e, n) => {
    if (e.type === 'text_link') {
      inserts.push([e.offset, 0, n, '['], [e.offset + e.length, 1, n, `](${e.url})`]);
    } else if (marks[e.type]) {
      const opening = e.type === 'pre' ? `\`\`\`${e.language || ''}\n` : marks[e.type];
      const closing = e.type === 'pre' ? '\n```' : marks[e.type];
      inserts.push([e.offset, 0, n, opening], [e.offset + e.length, 1, n, closing]);
    }
  });
  // Closings before openings at one position; inner closings before outer ones.
  inserts.sort((a, b) => b[0] - a[0] || a[1] - b[1] || (a[1] ? b[2] - a[2] : a[2] - b[2]));
  let out = text;
  for (const [pos, , , s] of inserts) out = out.slice(0, pos) + s + out.slice(pos);
  return out;
}

// ---- rendering entities ---------------------------------------------------------------------

const URL_RE = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'"]/gi;

function linkify(text, parent) {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index > last) parent.append(text.slice(last, m.index));
    parent.append(h('a', { href: m[0], target: '_blank', rel: 'noopener noreferrer', text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

/** Per entity type: the element that shows it. Extension point for new entity kinds. */
export const entityRenderers = {
  bold: () => h('strong'),
  italic: () => h('em'),
  underline: () => h('u'),
  strikethrough: () => h('s'),
  spoiler: () => h('span', { class: 'spoiler', onclick: (e) => e.currentTarget.classList.add('shown') }),
  code: () => h('code'),
  pre: (e) => h('pre', { class: 'pre', dataset: e.language ? { language: e.language } : {} }),
  blockquote: () => h('blockquote'),
  expandable_blockquote: () => h('blockquote'),
  text_link: (e) => (SAFE_URL.test(e.url || '') ? h('a', { href: e.url, target: '_blank', rel: 'noopener noreferrer' }) : h('span')),
  url: (e, text) => {
    const href = /^[a-z]+:\/\//i.test(text) ? text : `https://${text}`;
    return SAFE_URL.test(href) ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }) : h('span');
  },
  email: (e, text) => h('a', { href: `mailto:${text}` }),
  mention: (e, text) => h('a', { href: '#', class: 'mention', dataset: { username: text.slice(1) } }),
  text_mention: (e) => h('a', { href: '#', class: 'mention', dataset: { userId: String(e.user_id) } }),
  hashtag: () => h('span', { class: 'hashtag' }),
  cashtag: () => h('span', { class: 'hashtag' }),
  bot_command: () => h('span', { class: 'bot-command' }),
  phone_number: (e, text) => h('a', { href: `tel:${text.replace(/[^+\d]/g, '')}` }),
};

/** Text with entities as DOM nodes appended to `parent` (nested entities nest). */
export function renderText(text, entities = [], parent = h('span')) {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const walk = (start, end, list, into, plainLinks) => {
    let pos = start;
    let k = 0;
    while (k < list.length) {
      const e = list[k];
      const eEnd = Math.min(e.offset + e.length, end);
      if (e.offset < pos || e.offset >= end) { k += 1; continue; }
      if (e.offset > pos) plain(text.slice(pos, e.offset), into, plainLinks);
      const inner = [];
      k += 1;
      while (k < list.length && list[k].offset < eEnd) { inner.push(list[k]); k += 1; }
      const make = entityRenderers[e.type];
      const el = make ? make(e, text.slice(e.offset, eEnd)) : h('span');
      const linky = plainLinks && !['code', 'pre', 'text_link', 'url', 'email'].includes(e.type);
      walk(e.offset, eEnd, inner, el, linky);
      into.append(el);
      pos = eEnd;
    }
    if (pos < end) plain(text.slice(pos, end), into, plainLinks);
  };
  const plain = (s, into, links) => (links ? linkify(s, into) : into.append(s));
  walk(0, text.length, sorted, parent, true);
  return parent;
}

// ---- names, dates, previews -----------------------------------------------------------------

export function fullName(user) {
  if (!user) return 'Deleted Account';
  return [user.first_name, user.last_name].filter(Boolean).join(' ') || 'Unnamed';
}

export function initials(name) {
  const words = (name || '?').trim().split(/\s+/).filter(Boolean);
  const chars = words.slice(0, 2).map((w) => Array.from(w)[0] || '');
  return (chars.join('') || '?').toUpperCase();
}

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long' });
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: '2-digit', month: '2-digit', year: '2-digit' });

export const formatTime = (unix) => time.format(new Date(unix * 1000));

function dayStart(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function dayKey(unix) {
  return dayStart(new Date(unix * 1000));
}

/** The chat list's date: the time today, the weekday this week, a short date before. */
export function listDate(unix) {
  if (!unix) return '';
  const d = new Date(unix * 1000);
  const days = (dayStart(new Date()) - dayStart(d)) / 86400000;
  if (days < 1) return time.format(d);
  if (days < 7) return weekday.format(d);
  return shortDate.format(d);
}

/** A date separator: Today, Yesterday, 3 March, 3 March 2023. */
export function separatorDate(unix) {
  const d = new Date(unix * 1000);
  const days = Math.round((dayStart(new Date()) - dayStart(d)) / 86400000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.getFullYear() === new Date().getFullYear() ? dayMonth.format(d) : dayMonthYear.format(d);
}

export function lastSeen(user) {
  if (!user) return '';
  if (user.is_bot) return 'bot';
  if (user.online) return 'online';
  if (!user.last_seen) return 'last seen a long time ago';
  const d = new Date(user.last_seen * 1000);
  const ago = Date.now() / 1000 - user.last_seen;
  if (ago < 60) return 'last seen just now';
  if (ago < 3600) return `last seen ${Math.floor(ago / 60)} minute${ago < 120 ? '' : 's'} ago`;
  const days = (dayStart(new Date()) - dayStart(d)) / 86400000;
  if (days < 1) return `last seen at ${time.format(d)}`;
  if (days < 2) return `last seen yesterday at ${time.format(d)}`;
  return `last seen ${dayMonth.format(d)}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** One line of a message, for the chat list, reply quotes and the pinned bar. */
export function snippet(text, max = 120) {
  const line = (text || '').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
