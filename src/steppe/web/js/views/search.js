// Message search: in the open chat (messages.search, from the header) and across every chat
// (messages.searchGlobal, under the chat list's search). Matches come with their UTF-16 offsets,
// which are JavaScript string indexes: the matched parts are marked as text, never as HTML.

import { describe } from '../actions.js';
import { debounce, h, icon, iconButton, replace } from '../dom.js';
import { listDate } from '../format.js';
import { avatar, mediaLabel, senderName } from './common.js';

/** A line of `text` around its first match, with the matches in <mark>. */
export function highlighted(text, highlights = [], width = 90) {
  const marks = [...highlights].sort((a, b) => a.offset - b.offset).filter((m) => m.length > 0);
  const first = marks.length ? marks[0].offset : 0;
  let start = Math.max(0, first - Math.floor(width / 3));
  if (start > 0) { const space = text.lastIndexOf(' ', start); if (space > start - 12) start = space + 1; }
  const end = Math.min(text.length, start + width);
  const out = h('span', { class: 'found-text' });
  if (start > 0) out.append('…');
  let pos = start;
  for (const m of marks) {
    const a = Math.max(m.offset, pos);
    const b = Math.min(m.offset + m.length, end);
    if (b <= a) continue;
    if (a > pos) out.append(text.slice(pos, a).replace(/\s+/g, ' '));
    out.append(h('mark', { text: text.slice(a, b) }));
    pos = b;
  }
  if (pos < end) out.append(text.slice(pos, end).replace(/\s+/g, ' '));
  if (end < text.length) out.append('…');
  return out;
}

/** One found message as a row: who (or which chat), when, the matched line. */
export function foundRow(store, found, { chatTitle = null, onclick }) {
  const msg = found.message;
  const dialog = store.dialogs.get(msg.chat_id);
  const pic = chatTitle !== null && dialog ? avatar(store, { dialog })
    : avatar(store, { user: msg.sender_id > 0 ? store.user(msg.sender_id) || { id: msg.sender_id } : null,
      dialog: msg.sender_id < 0 ? (store.dialogs.get(-msg.sender_id) || { chat: { id: -msg.sender_id, kind: 'channel', title: store.chatName(-msg.sender_id) } }) : null });
  const title = chatTitle !== null ? chatTitle : senderName(store, msg.sender_id);
  const text = msg.text ? highlighted(msg.text, found.highlights) : h('span', { text: mediaLabel(msg) });
  return h('div', { class: 'row found', role: 'button', tabindex: '0', dataset: { chatId: String(msg.chat_id), msgId: String(msg.id) },
    onclick, onkeydown: (e) => { if (e.key === 'Enter') onclick(e); } },
  pic, h('div', { class: 'row-body' },
    h('div', { class: 'row-top' }, h('span', { class: 'row-title', text: title }), h('span', { class: 'row-date', text: listDate(msg.date) })),
    h('div', { class: 'row-sub' }, chatTitle !== null && dialog && dialog.chat.kind !== 'private' && msg.sender_id > 0
      ? h('span', { class: 'preview-sender', text: `${senderName(store, msg.sender_id).split(' ')[0]}: ` }) : null, text)));
}

/** The search in the chat header: a box instead of the title, results over the history. */
export class ChatSearch {
  constructor(ctx, chatView) {
    this.ctx = ctx;
    this.chatView = chatView;
    this.seq = 0;
    this.next = null;
    this.input = h('input', { class: 'search-input', type: 'search', placeholder: 'Search in this chat', 'aria-label': 'Search in this chat',
      oninput: () => this.run(), onkeydown: (e) => { if (e.key === 'Escape') this.close(); if (e.key === 'Enter') this.pickFirst(); } });
    this.count = h('span', { class: 'search-count' });
    this.bar = h('div', { class: 'chat-search', hidden: true }, h('div', { class: 'search-box' }, icon('search', 'search-icon'), this.input, this.count),
      iconButton('close', 'Close search', () => this.close()));
    this.list = h('div', { class: 'search-list', role: 'list' });
    this.more = h('button', { type: 'button', class: 'btn-link search-more', text: 'Show more', hidden: true, onclick: () => this.page() });
    this.results = h('div', { class: 'search-results', hidden: true }, this.list, this.more);
    this.search = debounce(() => this.page(true), 250);
  }

  open() {
    if (this.chatView.chatId === null) return;
    this.bar.hidden = false;
    this.chatView.view.classList.add('searching-chat');
    this.input.focus();
    this.input.select();
  }

  close() {
    this.bar.hidden = true;
    this.results.hidden = true;
    this.input.value = '';
    this.count.textContent = '';
    this.seq += 1;
    this.chatView.view.classList.remove('searching-chat');
  }

  run() {
    const q = this.input.value.trim();
    this.seq += 1;
    if (!q) { this.results.hidden = true; this.count.textContent = ''; return; }
    this.search();
  }

  async page(fresh = false) {
    const q = this.input.value.trim();
    const chatId = this.chatView.chatId;
    if (!q || chatId === null) return;
    const mine = ++this.seq;
    if (fresh) this.next = null;
    let got;
    try {
      got = await this.ctx.actions.searchChat(chatId, q, this.next ? this.next.offset_id : 0);
    } catch (err) {
      if (mine !== this.seq) return;
      replace(this.list, h('div', { class: 'picker-status', text: describe(err) }));
      this.results.hidden = false;
      return;
    }
    if (mine !== this.seq) return;
    const rows = got.results.map((f) => foundRow(this.ctx.store, f, { onclick: () => this.go(f.message.id) }));
    if (fresh) replace(this.list, rows.length ? rows : h('div', { class: 'picker-status', text: 'No messages found' }));
    else this.list.append(...rows);
    this.next = got.next_offset;
    this.more.hidden = !this.next;
    this.count.textContent = fresh ? (got.results.length ? `${got.results.length}${this.next ? '+' : ''}` : '0') : this.count.textContent;
    this.results.hidden = false;
  }

  pickFirst() {
    const first = this.list.querySelector('.found');
    if (first) first.click();
  }

  go(id) {
    this.results.hidden = true;
    if (this.chatView.view.classList.contains('forum-mode')) this.chatView.showHistory();
    this.chatView.jump(id);
  }
}
