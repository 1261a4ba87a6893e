// Threads over the chat: a channel post's comments (they live in its discussion supergroup), a
// supergroup message's replies, and a forum topic's messages. The ThreadView covers the chat
// column with its own header, history and message box; the ForumList is the topic list a forum
// supergroup shows instead of its history (create, rename, close, pin topics).

import { describe } from '../actions.js';
import { randomId } from '../channel-actions.js';
import { append, h, icon, iconButton, modal, rafThrottle, replace, showMenu, toast } from '../dom.js';
import { dayKey, fullName, listDate, parseMarkdown, plural, separatorDate, toMarkdown } from '../format.js';
import { senderName, summary } from './common.js';
import { messageSig, renderMessage } from './messages.js';
import { messageMenu } from './msgmenu.js';
import { pollDialog } from './posts.js';

const GROUP_GAP = 600;
const POLL_MS = 5000; // a thread whose chat this user is not in gets no live events: ask again

export class ThreadView {
  constructor(ctx) {
    this.ctx = ctx;
    this.thread = null; // {kind: 'comments' | 'replies' | 'topic', chatId, msgId, where, rootId, topic}
    this.msgs = new Map();
    this.nodes = new Map();
    this.mode = null; // {kind: 'reply' | 'edit', msg}
    this.title = h('div', { class: 'thread-title' });
    this.status = h('div', { class: 'thread-status' });
    this.inner = h('div', { class: 'messages-inner' });
    this.scroller = h('div', { class: 'messages' }, this.inner);
    this.input = h('textarea', { class: 'composer-input', rows: 1, placeholder: 'Comment', 'aria-label': 'Comment',
      onkeydown: (e) => this.onKey(e), oninput: () => this.resize() });
    this.barTitle = h('div', { class: 'bar-title' });
    this.barText = h('div', { class: 'bar-text' });
    this.bar = h('div', { class: 'compose-bar' }, h('span', { class: 'bar-icon' }, icon('reply')),
      h('div', { class: 'bar-body' }, this.barTitle, this.barText), iconButton('close', 'Cancel reply', () => this.setMode(null)));
    this.pollBtn = iconButton('poll', 'Create poll', () => pollDialog(ctx, this.thread.where, { threadId: this.thread.rootId }), 'poll-btn');
    this.box = h('div', { class: 'composer-area thread-composer' },
      h('div', { class: 'composer' },
        h('div', { class: 'composer-box' }, this.bar, h('div', { class: 'composer-row' }, this.input, this.pollBtn)),
        h('button', { type: 'button', class: 'send-btn', 'aria-label': 'Send comment', onclick: () => this.submit() }, icon('send'))));
    this.closedNote = h('div', { class: 'composer-notice', hidden: true });
    this.el = h('section', { class: 'thread-view', 'aria-label': 'Thread' },
      h('header', { class: 'chat-header' },
        iconButton('back', 'Close thread', () => this.close(), 'thread-back'),
        h('div', { class: 'chat-header-info' }, h('div', { class: 'chat-header-text' }, this.title, this.status))),
      h('div', { class: 'messages-wrap' }, this.scroller), this.closedNote, this.box);
    this.el.addEventListener('contextmenu', (e) => this.onContext(e));
    this.render = rafThrottle(() => this.draw());
    const s = ctx.store;
    s.on('messages', (ev) => this.onMessages(ev));
    s.on('edited', (msg) => { if (this.thread && msg.chat_id === this.thread.where && this.msgs.has(msg.id)) this.put([msg]); });
    s.on('patched', (ev) => {
      if (!this.thread || ev.chatId !== this.thread.where || !this.msgs.has(ev.id)) return;
      this.msgs.set(ev.id, { ...this.msgs.get(ev.id), ...ev.fields });
      this.render();
    });
    for (const name of ['users', 'photos', 'topics', 'chat-info']) s.on(name, () => { if (this.thread) { this.header(); this.render(); } });
    this.timer = setInterval(() => this.poll(), POLL_MS);
    // Esc closes the thread (looked at while capturing: an open menu, dialog or reply bar goes first).
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.thread && !document.querySelector('.overlay, .menu, .viewer') && !this.mode) this.close();
    }, true);
  }

  get chatId() { return this.thread ? this.thread.where : null; }

  /** messageMenu's reply and edit go to the thread's own message box. */
  get composer() { return this; }

  /** What messageMenu (msgmenu.js) needs of a view: the chat the messages live in. */
  get dialog() {
    if (!this.thread) return null;
    return this.ctx.store.dialogs.get(this.thread.where) || { chat: { id: this.thread.where, kind: 'supergroup', title: '' } };
  }

  isOpen() { return !!this.thread; }

  async open(thread) {
    this.thread = { ...thread, where: null, rootId: null };
    this.msgs = new Map();
    this.nodes = new Map();
    this.root = null;
    this.count = 0;
    this.complete = false;
    this.mode = null;
    this.drawBar();
    replace(this.inner);
    this.inner.classList.add('loading');
    document.querySelector('.chat-column')?.classList.add('thread-open');
    this.input.placeholder = thread.kind === 'comments' ? 'Comment' : 'Message';
    this.input.setAttribute('aria-label', thread.kind === 'comments' ? 'Comment' : 'Message');
    this.header();
    try {
      const got = await this.ctx.actions.replies(thread.chatId, thread.msgId);
      if (this.thread === null || this.thread.msgId !== thread.msgId) return;
      this.thread.where = got.chat_id;
      this.thread.rootId = got.root ? got.root.id : thread.msgId;
      this.root = got.root;
      this.count = got.count || 0;
      this.put(got.messages, { quiet: true });
      this.complete = got.messages.length < 50;
    } catch (err) {
      toast(describe(err, 'The thread cannot be shown'), 'error');
      this.close();
      return;
    } finally {
      this.inner.classList.remove('loading');
    }
    this.header();
    this.drawAccess();
    this.draw();
    this.scroller.scrollTop = this.scroller.scrollHeight;
    if (matchMedia('(pointer: fine)').matches) this.input.focus();
  }

  close() {
    this.thread = null;
    document.querySelector('.chat-column')?.classList.remove('thread-open');
    replace(this.inner);
  }

  header() {
    const t = this.thread;
    if (!t) return;
    const s = this.ctx.store;
    if (t.kind === 'topic') {
      const topic = s.topics.get(t.chatId)?.get(t.msgId) || t.topic;
      this.title.textContent = topic ? topic.title : 'Topic';
      this.status.textContent = topic && topic.closed ? 'closed' : s.chatName(t.chatId);
    } else {
      this.title.textContent = t.kind === 'comments' ? 'Comments' : 'Replies';
      this.status.textContent = this.count ? plural(this.count, t.kind === 'comments' ? 'comment' : 'reply', t.kind === 'comments' ? 'comments' : 'replies')
        : (t.kind === 'comments' ? 'No comments yet' : 'No replies yet');
    }
  }

  /** Closed topics take messages only from their managers. */
  drawAccess() {
    const t = this.thread;
    const s = this.ctx.store;
    const topic = t && t.kind === 'topic' ? s.topics.get(t.chatId)?.get(t.msgId) || t.topic : null;
    const closed = !!(topic && topic.closed && !s.hasRight(t.chatId, 'manage_topics'));
    this.box.hidden = closed;
    this.closedNote.hidden = !closed;
    this.closedNote.textContent = closed ? 'The topic is closed' : '';
    this.pollBtn.hidden = t && t.kind === 'comments';
  }

  put(msgs, { quiet = false } = {}) {
    for (const m of msgs) if (m.id !== this.thread?.rootId) this.msgs.set(m.id, m);
    if (!quiet) this.render();
  }

  onMessages(ev) {
    const t = this.thread;
    if (!t || ev.chatId !== t.where) return;
    const s = this.ctx.store;
    let changed = false;
    for (const id of [...ev.added, ...ev.updated]) {
      const msg = s.message(t.where, id);
      if (!msg) continue;
      if (id === t.rootId) { this.root = msg; changed = true; continue; }
      if (msg.thread_id === t.rootId || this.msgs.has(id)) {
        if (!this.msgs.has(id) && ev.added.includes(id)) this.count += 1;
        this.msgs.set(id, msg);
        changed = true;
      }
    }
    for (const id of ev.removed) if (this.msgs.delete(id)) { changed = true; this.count = Math.max(0, this.count - 1); }
    if (changed) { this.header(); this.render(); }
  }

  /** Not in the chat the thread lives in: no live events, so look again now and then. */
  async poll() {
    const t = this.thread;
    if (!t || !t.where || document.visibilityState !== 'visible' || this.ctx.store.isMember(t.where)) return;
    try {
      const got = await this.ctx.actions.replies(t.chatId, t.msgId);
      if (this.thread !== t) return;
      this.count = got.count || 0;
      this.put(got.messages);
      this.header();
    } catch (err) { /* try again later */ }
  }

  items() {
    const s = this.ctx.store;
    const meId = s.me.id;
    const list = [...this.msgs.values()].sort((a, b) => a.id - b.id);
    const items = [];
    const joins = (a, b) => a && b && !a.action && !b.action && a.sender_id === b.sender_id && Math.abs(b.date - a.date) < GROUP_GAP;
    if (this.root) {
      const root = this.root;
      const flags = { out: root.sender_id === meId, group: true, first: true, last: true };
      items.push({ key: `r:${root.id}`, msg: root, sig: JSON.stringify([root, messageSig(root, s), 'root']),
        make: () => renderMessage(root, this.view(flags)) });
      if (this.thread.kind !== 'topic') {
        const text = list.length ? (this.thread.kind === 'comments' ? 'Comments' : 'Replies')
          : (this.thread.kind === 'comments' ? 'No comments here yet' : 'No replies here yet');
        items.push({ key: 'sep', sig: text, make: () => h('div', { class: 'thread-sep' }, h('span', { text })) });
      }
    }
    let lastDay = null;
    list.forEach((msg, i) => {
      const day = dayKey(msg.date);
      if (day !== lastDay) {
        items.push({ key: `d:${day}`, sig: separatorDate(msg.date), make: () => h('div', { class: 'date-sep' }, h('span', { text: separatorDate(msg.date) })) });
        lastDay = day;
      }
      const flags = { out: msg.sender_id === meId, group: true, first: !joins(list[i - 1], msg), last: !joins(msg, list[i + 1]) };
      const names = [msg.sender_id, msg.reply_to ? s.message(this.thread.where, msg.reply_to)?.sender_id : 0]
        .map((id) => (id > 0 && s.users.get(id) ? fullName(s.users.get(id)) : '')).join('|');
      items.push({ key: `m:${msg.id}`, msg, sig: JSON.stringify([msg, flags, names, messageSig(msg, s)]),
        make: () => renderMessage(msg, this.view(flags)) });
    });
    return items;
  }

  view(flags) {
    return { store: this.ctx.store, ctx: this.ctx, chatId: this.thread.where, flags, status: 'sent', album: null, inThread: true,
      jump: (id) => this.jump(id), needRef: (id) => this.needRef(id) };
  }

  needRef(id) {
    if (!this.thread || this.msgs.has(id) || (this.root && this.root.id === id)) return;
    this.ctx.actions.fetchRefs(this.thread.where, [id]);
  }

  jump(id) {
    const el = this.inner.querySelector(`.msg[data-id="${id}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    el.classList.remove('highlight');
    void el.offsetWidth;
    el.classList.add('highlight');
  }

  draw() {
    if (!this.thread) return;
    const sc = this.scroller;
    const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 80;
    const nodes = new Map();
    const els = this.items().map((item) => {
      const old = this.nodes.get(item.key);
      const el = old && old.sig === item.sig ? old.el : item.make();
      if (item.msg) el.msgRef = item.msg;
      nodes.set(item.key, { sig: item.sig, el });
      return el;
    });
    this.nodes = nodes;
    this.inner.replaceChildren(...els);
    if (atBottom) sc.scrollTop = sc.scrollHeight;
  }

  // ---- writing -----------------------------------------------------------------------------

  reply(msg) { this.setMode({ kind: 'reply', msg }); }

  edit(msg) {
    this.setMode({ kind: 'edit', msg });
    this.input.value = toMarkdown(msg.text, msg.entities || []);
    this.resize();
  }

  setMode(mode) {
    const wasEdit = this.mode?.kind === 'edit';
    this.mode = mode;
    if (wasEdit && !mode) { this.input.value = ''; this.resize(); }
    this.drawBar();
    this.input.focus();
  }

  drawBar() {
    const mode = this.mode;
    this.bar.classList.toggle('shown', !!mode);
    if (!mode) return;
    this.barTitle.textContent = mode.kind === 'edit' ? 'Edit message' : `Reply to ${senderName(this.ctx.store, mode.msg.sender_id)}`;
    this.barText.textContent = summary(mode.msg, 120);
  }

  resize() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  onKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); }
    else if (e.key === 'Escape' && this.mode) { e.preventDefault(); this.setMode(null); }
  }

  async submit() {
    const t = this.thread;
    if (!t || !t.where) return;
    const { text, entities } = parseMarkdown(this.input.value);
    if (!text) return;
    const { actions, store } = this.ctx;
    const mode = this.mode;
    this.input.value = '';
    this.resize();
    this.mode = null;
    this.drawBar();
    try {
      if (mode?.kind === 'edit') {
        const msg = await actions.call('messages.editMessage', { peer: { chat_id: t.where }, id: mode.msg.id, text, entities });
        store.apply({ type: 'edit_message', chat_id: t.where, message: msg });
        this.put([msg]);
        return;
      }
      if (!store.isMember(t.where)) await actions.join(t.where); // commenting joins the discussion group
      const params = { peer: { chat_id: t.where }, text, entities, random_id: randomId() };
      if (t.kind === 'topic') {
        params.thread_id = t.rootId;
        if (mode?.kind === 'reply') params.reply_to = mode.msg.id;
      } else {
        params.reply_to = mode?.kind === 'reply' ? mode.msg.id : t.rootId;
      }
      const msg = await actions.call('messages.sendMessage', params);
      if (!this.msgs.has(msg.id)) this.count += 1;
      this.put([msg]);
      actions.landed(t.where, [msg]);
      this.header();
      this.scroller.scrollTop = this.scroller.scrollHeight;
    } catch (err) {
      if (!this.input.value) this.input.value = toMarkdown(text, entities);
      if (err.retryAfter && /^SLOWMODE_WAIT_/.test(err.type)) actions.slowMode(t.where, err.retryAfter);
      toast(describe(err, 'Not sent'), 'error');
    }
  }

  onContext(e) {
    const row = e.target.closest('.msg');
    if (!row || !row.msgRef || !this.inner.contains(row)) return;
    e.preventDefault();
    messageMenu(this, e, row.msgRef);
  }
}

// ---- a forum's topics ----------------------------------------------------------------------

const TOPIC_COLORS = [0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F];

function colorHex(n) {
  return `#${(n || TOPIC_COLORS[0]).toString(16).padStart(6, '0')}`;
}

export class ForumList {
  constructor(ctx, chatView) {
    this.ctx = ctx;
    this.chatView = chatView;
    this.chatId = null;
    this.list = h('div', { class: 'topic-list', role: 'list' });
    this.newBtn = h('button', { type: 'button', class: 'btn-small new-topic', onclick: () => this.create() }, icon('add'), h('span', { text: 'New topic' }));
    this.el = h('div', { class: 'forum' }, h('div', { class: 'forum-head' }, h('span', { class: 'forum-title', text: 'Topics' }), this.newBtn), this.list);
    this.render = rafThrottle(() => this.draw());
    ctx.store.on('topics', (chatId) => { if (chatId === this.chatId) this.render(); });
    ctx.store.on('messages', (ev) => { if (ev.chatId === this.chatId && ev.added.length) this.render(); });
  }

  async show(chatId) {
    this.chatId = chatId;
    this.draw();
    try {
      await this.ctx.actions.loadTopics(chatId);
    } catch (err) {
      toast(describe(err, 'The topics cannot be shown'), 'error');
    }
  }

  /** The newest message of each topic that the loaded history shows. */
  lastOf() {
    const hist = this.ctx.store.history(this.chatId);
    const last = new Map();
    for (const id of hist.ids) {
      const m = hist.msgs.get(id);
      if (m.thread_id) last.set(m.thread_id, m);
    }
    return last;
  }

  draw() {
    const s = this.ctx.store;
    const topics = s.topics.get(this.chatId);
    this.newBtn.hidden = !s.may(this.chatId, 'manage_topics');
    const all = h('div', { class: 'row topic-row', role: 'button', tabindex: '0', onclick: () => this.chatView.showHistory() },
      h('div', { class: 'topic-icon all' }, icon('comment')),
      h('div', { class: 'row-body' }, h('div', { class: 'row-title', text: 'All messages' }), h('div', { class: 'row-sub', text: 'The whole chat, every topic' })));
    if (!topics) { replace(this.list, all, h('div', { class: 'muted', text: 'Loading topics…' })); return; }
    const last = this.lastOf();
    const sorted = [...topics.values()].filter((t) => !t.hidden).sort((a, b) => Number(b.pinned) - Number(a.pinned)
      || (last.get(b.id)?.id || b.id) - (last.get(a.id)?.id || a.id));
    replace(this.list, all, sorted.map((t) => {
      const dot = h('div', { class: 'topic-icon' }, icon('topic'));
      dot.style.color = colorHex(t.icon_color);
      const m = last.get(t.id);
      return h('div', { class: `row topic-row ${t.closed ? 'closed' : ''}`.trim(), role: 'button', tabindex: '0', dataset: { topicId: String(t.id) },
        onclick: () => this.ctx.app.openThread({ kind: 'topic', chatId: this.chatId, msgId: t.id, topic: t }),
        oncontextmenu: (e) => { e.preventDefault(); this.menu(e, t); } },
      dot, h('div', { class: 'row-body' },
        h('div', { class: 'row-title' }, h('span', { text: t.title }), t.closed ? icon('lock', 'topic-flag') : null, t.pinned ? icon('pin', 'topic-flag pin-flag') : null),
        h('div', { class: 'row-sub', text: m ? `${m.action ? '' : `${senderName(s, m.sender_id)}: `}${summary(m, 80)}` : `created ${listDate(t.date)}` })),
      s.may(this.chatId, 'manage_topics') || t.creator_id === s.me.id ? iconButton('more', `Topic actions: ${t.title}`, (e) => { e.stopPropagation(); this.menu(e, t); }) : null);
    }), sorted.length ? null : h('div', { class: 'muted empty-topics', text: 'No topics yet.' }));
  }

  menu(e, t) {
    const s = this.ctx.store;
    const manage = s.hasRight(this.chatId, 'manage_topics');
    if (!manage && t.creator_id !== s.me.id) return;
    const edit = (changes) => this.ctx.actions.editTopic(this.chatId, t.id, changes);
    showMenu(e.clientX, e.clientY, [
      { icon: 'pencil', label: 'Rename topic', action: () => this.create(t) },
      { icon: 'lock', label: t.closed ? 'Reopen topic' : 'Close topic', action: () => edit({ closed: !t.closed }) },
      manage ? { icon: 'pin', label: t.pinned ? 'Unpin topic' : 'Pin topic', action: () => edit({ pinned: !t.pinned }) } : null,
    ]);
  }

  /** A new topic, or a new name for `topic`. */
  create(topic = null) {
    const m = modal({ title: topic ? 'Rename topic' : 'New topic', cls: 'picker' });
    const input = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'Topic name', 'aria-label': 'Topic name', maxLength: 128, value: topic ? topic.title : '' });
    let color = TOPIC_COLORS[0];
    const swatches = h('div', { class: 'swatches' }, TOPIC_COLORS.map((c) => {
      const b = h('button', { type: 'button', class: `swatch ${c === color ? 'on' : ''}`, 'aria-label': `Colour ${colorHex(c)}`,
        onclick: () => { color = c; swatches.querySelectorAll('.swatch').forEach((x) => x.classList.toggle('on', x === b)); } });
      b.style.background = colorHex(c);
      return b;
    }));
    const save = h('button', { type: 'button', class: 'btn-primary', text: topic ? 'Save' : 'Create', onclick: async () => {
      const title = input.value.trim();
      if (!title) { input.focus(); return; }
      save.disabled = true;
      try {
        if (topic) await this.ctx.actions.editTopic(this.chatId, topic.id, { title });
        else {
          const made = await this.ctx.actions.createTopic(this.chatId, title, color);
          this.ctx.app.openThread({ kind: 'topic', chatId: this.chatId, msgId: made.id, topic: made });
        }
        m.close();
      } catch (err) {
        save.disabled = false;
        toast(describe(err, 'Not saved'), 'error');
      }
    } });
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') save.click(); });
    append(m.body, [input, topic ? null : swatches, h('div', { class: 'modal-actions' }, save)]);
    setTimeout(() => input.focus(), 0);
  }
}

