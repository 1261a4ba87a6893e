// The right column: header (title, online / typing / members), pinned bar, the history (loads
// older pages as you scroll up, date separators, unread marker, grouping), the composer.

import { debounce, h, icon, iconButton, rafThrottle, replace, showMenu, toast } from '../dom.js';
import { dayKey, lastSeen, plural, separatorDate } from '../format.js';
import { avatar, summary } from './common.js';
import { typingText } from './chatlist.js';
import { Composer } from './composer.js';
import { messageSig, renderMessage } from './messages.js';
import './media.js';
import { botPeer } from './bots.js';
import './posts.js';
import { ChatSearch } from './search.js';
import { ForumList } from './thread.js';
import { dropZones } from './attach.js';
import { messageMenu, pendingMenu } from './msgmenu.js';

const GROUP_GAP = 600; // seconds between messages that still read as one group

export class ChatView {
  constructor(ctx) {
    this.ctx = ctx;
    this.chatId = null;
    this.nodes = new Map(); // key -> {sig, el}
    this.refsAsked = new Set();
    this.composer = new Composer(ctx);
    this.headerAvatar = h('div', { class: 'header-avatar' });
    this.title = h('div', { class: 'chat-title' });
    this.status = h('div', { class: 'chat-status' });
    this.header = h('header', { class: 'chat-header' },
      iconButton('back', 'Back to chats', () => ctx.app.closeChat(), 'back-btn'),
      h('div', { class: 'chat-header-info', role: 'button', tabindex: '0', 'aria-label': 'Chat info',
        onclick: () => ctx.app.toggleInfo() }, this.headerAvatar, h('div', { class: 'chat-header-text' }, this.title, this.status)),
      h('div', { class: 'chat-header-actions' },
        iconButton('search', 'Search messages', () => this.search.open(), 'search-btn'),
        iconButton('info', 'Chat info', () => ctx.app.toggleInfo(), 'info-btn'),
        iconButton('more', 'More', (e) => this.headerMenu(e))));
    this.pinnedText = h('div', { class: 'pinned-text' });
    this.pinnedTitle = h('div', { class: 'pinned-title', text: 'Pinned Message' });
    this.pinnedLines = h('div', { class: 'pinned-line' });
    this.pinIndex = 0;
    this.pinnedBar = h('div', { class: 'pinned-bar', role: 'button', tabindex: '0', onclick: () => this.nextPin() },
      this.pinnedLines, h('div', { class: 'pinned-body' }, this.pinnedTitle, this.pinnedText),
      iconButton('close', 'Unpin', (e) => { e.stopPropagation(); this.unpin(this.pinnedId); }, 'unpin-btn'));
    this.inner = h('div', { class: 'messages-inner' });
    this.scroller = h('div', { class: 'messages', onscroll: () => this.onScroll() }, this.inner);
    this.downCount = h('span', { class: 'down-count' });
    this.downBtn = h('button', { type: 'button', class: 'down-btn', 'aria-label': 'Scroll to the latest message',
      onclick: () => this.scrollToBottom(true) }, icon('down'), this.downCount);
    this.search = new ChatSearch(ctx, this);
    this.forum = new ForumList(ctx, this);
    this.view = h('div', { class: 'chat-view' }, this.header, this.search.bar, this.pinnedBar,
      h('div', { class: 'messages-wrap' }, this.scroller, this.downBtn, this.forum.el, this.search.results), this.composer.el);
    this.empty = h('div', { class: 'chat-empty' }, h('span', { class: 'empty-pill', text: 'Select a chat to start messaging' }));
    this.el = h('main', { class: 'chat-column' }, this.empty, this.view);
    this.el.append(dropZones(ctx, this.el));
    this.render = rafThrottle(() => this.draw());
    this.bottomed = true; // the user's intent, as of the last scroll: follow the newest message
    new ResizeObserver(() => { if (this.bottomed) this.scroller.scrollTop = this.scroller.scrollHeight; }).observe(this.scroller);
    this.drawHeader = rafThrottle(() => this.header_());
    this.inner.addEventListener('click', (e) => this.onClick(e));
    this.inner.addEventListener('contextmenu', (e) => this.onContext(e));
    this.inner.addEventListener('dblclick', (e) => this.onDouble(e));
    document.addEventListener('visibilitychange', () => this.maybeRead());
    addEventListener('focus', () => this.maybeRead());
    this.subscribe();
    // A channel's posts on screen: their views (counted once per reader), forwards and comments.
    this.viewsSoon = debounce(() => this.refreshViews(), 350);
    setInterval(() => { if (document.visibilityState === 'visible') this.refreshViews(); }, 8000);
  }

  subscribe() {
    const s = this.ctx.store;
    const mine = (fn) => (chatId) => { if (chatId === this.chatId) fn(); };
    s.on('messages', (ev) => { if (ev.chatId === this.chatId) { this.render(); if (ev.added.length) this.drawHeader(); } });
    s.on('pending', mine(() => this.render()));
    s.on('read-outbox', mine(() => this.render()));
    s.on('pinned', mine(() => this.render()));
    s.on('typing', mine(() => this.drawHeader()));
    s.on('chat-changed', mine(() => this.drawHeader()));
    s.on('members', mine(() => this.drawHeader()));
    s.on('users', () => { if (this.chatId) { this.drawHeader(); this.render(); } });
    s.on('photos', () => { if (this.chatId) { this.drawHeader(); this.render(); } });
    s.on('dialogs', () => { if (this.chatId) this.drawHeader(); });
    s.on('reload-chat', mine(() => this.load()));
    s.on('chat-gone', mine(() => this.ctx.app.closeChat()));
    s.on('chat-info', mine(() => { this.drawHeader(); this.drawForum(); this.render(); }));
    s.on('joined', mine(() => { this.drawHeader(); this.load(); }));
    s.on('messages', (ev) => { // a comment in the open channel's discussion group: its count changed
      const info = this.dialog && this.dialog.chat.kind === 'channel' ? s.info(this.chatId) : null;
      if (info && info.linked_chat_id === ev.chatId && ev.added.length) this.viewsSoon();
    });
  }

  get dialog() {
    return this.ctx.store.dialogs.get(this.chatId);
  }

  open(chatId) {
    if (this.chatId === chatId) return;
    this.chatId = chatId;
    const dialog = this.dialog;
    this.unreadAfter = dialog && dialog.unread_count > 0 ? dialog.read_inbox_max_id : null;
    if (dialog && dialog.chat.kind === 'channel' && dialog.chat.creator_id === this.ctx.store.me.id) this.unreadAfter = null; // its own posts
    this.positioned = false;
    this.bottomed = true;
    this.nodes.clear();
    this.refsAsked.clear();
    this.pinIndex = 0;
    this.historyMode = false;
    replace(this.inner);
    this.search.close();
    this.el.classList.add('has-chat');
    this.composer.setChat(chatId);
    this.header_();
    const hist = this.ctx.store.history(chatId);
    if (hist.loaded) this.draw();
    else this.load();
    this.composer.focus();
    const { actions, store } = this.ctx;
    if (store.isBig(dialog)) {
      this.drawForum();
      actions.fullChannel(chatId).then(() => { if (chatId === this.chatId) { this.drawForum(); this.drawHeader(); } }, () => {});
    } else {
      this.view.classList.remove('forum-mode');
    }
    actions.loadPins(chatId);
    if (store.isMember(chatId) && !store.isSaved(dialog)) actions.loadScheduled(chatId).catch(() => {});
  }

  /** A forum shows its topics instead of the history, unless the user asked for all messages. */
  drawForum() {
    const info = this.chatId !== null ? this.ctx.store.info(this.chatId) : null;
    const forum = !!(info && info.forum) && !this.historyMode;
    const was = this.view.classList.contains('forum-mode');
    this.view.classList.toggle('forum-mode', forum);
    if (forum && (!was || this.forum.chatId !== this.chatId)) this.forum.show(this.chatId);
  }

  showHistory() {
    this.historyMode = true;
    this.drawForum();
    this.render();
  }

  showTopics() {
    this.historyMode = false;
    this.drawForum();
  }

  /** Ask the counters of the channel posts on screen (views count once per reader). */
  refreshViews() {
    const dialog = this.dialog;
    if (!dialog || dialog.chat.kind !== 'channel' || this.ctx.app.openChatId !== this.chatId) return;
    const box = this.scroller.getBoundingClientRect();
    const ids = [];
    for (const el of this.inner.children) {
      if (!el.msgRef || el.msgRef.pending || el.msgRef.views === undefined) continue;
      const r = el.getBoundingClientRect();
      if (r.bottom > box.top && r.top < box.bottom) ids.push(el.msgRef.id);
    }
    if (ids.length) this.ctx.actions.refreshViews(this.chatId, ids, true);
  }

  close() {
    if (this.chatId !== null) this.composer.setChat(null);
    this.chatId = null;
    this.el.classList.remove('has-chat');
  }

  async load() {
    const chatId = this.chatId;
    if (chatId === null) return;
    this.inner.classList.add('loading');
    try {
      await this.ctx.actions.loadHistory(chatId);
    } catch (err) {
      toast('Could not load the history', 'error');
    } finally {
      this.inner.classList.remove('loading');
    }
    if (chatId === this.chatId) this.draw();
  }

  // ---- header --------------------------------------------------------------------------------

  header_() {
    const s = this.ctx.store;
    const dialog = this.dialog;
    if (!dialog) return;
    replace(this.headerAvatar, avatar(s, { dialog, size: 'sm' }));
    this.title.textContent = s.title(dialog);
    const typing = typingText(s, dialog, s.typingUsers(dialog.chat.id));
    let status = '';
    let accent = false;
    if (typing) {
      status = typing;
      accent = true;
    } else if (dialog.chat.kind === 'private') {
      if (!s.isSaved(dialog)) {
        const user = s.user(dialog.peer_user_id);
        status = lastSeen(user);
        accent = !!(user && user.online);
      }
    } else if (s.isBig(dialog)) {
      const count = dialog.chat.member_count || 0;
      status = plural(count, dialog.chat.kind === 'channel' ? 'subscriber' : 'member');
      const info = s.info(dialog.chat.id);
      if (info && info.forum) status += ' · forum';
    } else {
      const members = s.members.get(dialog.chat.id);
      const count = members ? members.length : dialog.chat.member_count;
      const online = members ? members.filter((m) => s.users.get(m.user_id)?.online).length : 0;
      status = plural(count || 0, 'member') + (online > 1 ? `, ${online} online` : '');
      if (!members) this.ctx.actions.refreshDialog(dialog.chat.id);
    }
    this.status.textContent = status;
    this.status.classList.toggle('accent', accent);
  }

  headerMenu(e) {
    const dialog = this.dialog;
    if (!dialog) return;
    const r = e.currentTarget.getBoundingClientRect();
    const { actions, app, store } = this.ctx;
    const kind = dialog.chat.kind;
    const chatId = dialog.chat.id;
    const scheduled = store.scheduled.get(chatId)?.size || 0;
    const info = store.info(chatId);
    const me = store.standing(chatId);
    const infoLabel = { group: 'Group info', supergroup: 'Group info', channel: 'Channel info' }[kind] || 'View profile';
    showMenu(r.right - 220, r.bottom + 6, [
      { icon: 'info', label: infoLabel, action: () => app.openInfo() },
      { icon: 'search', label: 'Search', action: () => this.search.open() },
      info && info.forum ? (this.historyMode ? { icon: 'topic', label: 'View as topics', action: () => this.showTopics() }
        : { icon: 'comment', label: 'View as messages', action: () => this.showHistory() }) : null,
      scheduled ? { icon: 'clock', label: `Scheduled messages (${scheduled})`, action: () => app.openScheduled(chatId) } : null,
      dialog.preview ? null : { icon: 'pin', label: dialog.pinned ? 'Unpin chat' : 'Pin chat', action: () => actions.togglePin(chatId) },
      kind === 'group' ? { icon: 'logout', label: 'Leave group', danger: true, action: () => app.leaveGroup(chatId) } : null,
      store.isBig(dialog) && !dialog.preview && (!me || me.status !== 'creator')
        ? { icon: 'logout', label: kind === 'channel' ? 'Leave channel' : 'Leave group', danger: true, action: () => app.leaveGroup(chatId) } : null,
    ]);
  }

  // ---- the history ---------------------------------------------------------------------------

  /** Messages in display units: one per message, or one per album (consecutive, one grouped_id). */
  units(all) {
    const units = [];
    for (const msg of all) {
      const prev = units[units.length - 1];
      if (msg.grouped_id && !msg.pending && prev && prev.msg.grouped_id === msg.grouped_id && !prev.msg.pending
        && prev.msg.sender_id === msg.sender_id) {
        prev.msgs.push(msg);
        continue;
      }
      units.push({ msg, msgs: [msg] });
    }
    for (const u of units) {
      u.first = u.msgs[0];
      u.last = u.msgs[u.msgs.length - 1];
      if (u.msgs.length > 1) u.msg = u.msgs.find((m) => m.text) || u.first;
    }
    return units;
  }

  items() {
    const s = this.ctx.store;
    const dialog = this.dialog;
    const hist = s.history(this.chatId);
    const msgs = hist.ids.map((id) => hist.msgs.get(id));
    const pending = this.ctx.actions.pendingOf(this.chatId).map((p) => ({ ...p, pending: true }));
    const units = this.units([...msgs, ...pending]);
    const meId = s.me ? s.me.id : 0;
    const group = dialog && dialog.chat.kind !== 'private' && dialog.chat.kind !== 'channel';
    const saved = dialog && s.isSaved(dialog);
    const items = [];
    let lastDay = null;
    let marked = false;
    const joins = (a, b) => a && b && !a.action && !b.action && a.sender_id === b.sender_id
      && dayKey(a.date) === dayKey(b.date) && Math.abs(b.date - a.date) < GROUP_GAP && !!a.fwd_from === !!b.fwd_from;
    const photoOf = (id) => (s.photos && s.photos.users.get(id) ? s.photos.users.get(id).id : '');
    units.forEach((unit, i) => {
      const { msg, first: head, last: tail } = unit;
      const day = dayKey(head.date);
      if (day !== lastDay) {
        items.push({ key: `d:${day}`, sig: `d${head.date > 0 ? separatorDate(head.date) : ''}`, make: () => h('div', { class: 'date-sep' }, h('span', { text: separatorDate(head.date) })) });
        lastDay = day;
      }
      if (!marked && this.unreadAfter !== null && !tail.pending && tail.id > this.unreadAfter && tail.sender_id !== meId) {
        marked = true;
        items.push({ key: 'unread', sig: 'u', make: () => h('div', { class: 'unread-sep' }, h('span', { text: 'Unread messages' })) });
      }
      const prev = units[i - 1]?.last;
      const next = units[i + 1]?.first;
      const out = saved || msg.sender_id === meId;
      const flags = { out, group, first: !(joins(prev, head) && dayKey(prev.date) === day), last: !joins(tail, next) };
      let status = 'sent';
      if (msg.pending) status = msg.failed ? 'failed' : 'sending';
      else if (saved || (dialog && tail.id <= dialog.read_outbox_max_id)) status = 'read';
      const quoted = msg.reply_to ? s.message(this.chatId, msg.reply_to) : null;
      const album = unit.msgs.length > 1 ? unit.msgs : null;
      let key = msg.pending ? `p:${msg.random_id}` : `m:${msg.id}`;
      if (album) key = `g:${msg.grouped_id}`;
      const names = [msg.sender_id, quoted?.sender_id, msg.fwd_from?.from_user_id, msg.via_bot_id, ...(msg.action?.user_ids || [])]
        .map((id) => (id && s.users.get(id) ? `${s.users.get(id).first_name}${s.users.get(id).last_name || ''}${s.users.get(id).username || ''}` : '')).join('|');
      const extra = [photoOf(msg.sender_id), msg.sender_id < 0 ? s.chatName(-msg.sender_id) : '', ...(album || [msg]).map((m) => messageSig(m, s))];
      const sig = JSON.stringify([album || msg, flags, status, names, extra, quoted ? [quoted.text, quoted.deleted, quoted.media ? 1 : 0] : null]);
      items.push({ key, sig, msg, lastId: tail.id, albumIds: album ? album.map((m) => m.id) : null,
        make: () => renderMessage(msg, { store: s, ctx: this.ctx, chatId: this.chatId, flags, status, album, date: tail.date,
          jump: (id) => this.jump(id), needRef: (id) => this.needRef(id) }) });
    });
    return items;
  }

  draw() {
    if (this.chatId === null) return;
    const hist = this.ctx.store.history(this.chatId);
    this.preserveScroll(() => {
      const items = this.items();
      const nodes = new Map();
      const els = items.map((item) => {
        const old = this.nodes.get(item.key);
        const el = old && old.sig === item.sig ? old.el : item.make();
        if (item.msg) { el.msgRef = item.msg; el.lastId = item.lastId; el.albumIds = item.albumIds; }
        nodes.set(item.key, { sig: item.sig, el });
        return el;
      });
      this.nodes = nodes;
      if (hist.loaded && hist.complete && els.length === 0) {
        els.push(this.emptyChatNote());
      }
      this.inner.replaceChildren(...els);
      this.drawPinned();
    });
    this.askRefs();
    if (!this.positioned && hist.loaded) {
      this.positioned = true;
      const marker = this.inner.querySelector('.unread-sep');
      if (marker && marker.offsetTop - 60 > 0 && !this.atBottomAfter(marker)) {
        this.scroller.scrollTop = marker.offsetTop - 60;
        this.bottomed = this.atBottom(40);
      } else {
        this.scrollToBottom(false);
        this.bottomed = true;
      }
    }
    this.onScroll();
  }

  emptyChatNote() {
    const dialog = this.dialog;
    const bot = botPeer(this.ctx.store, dialog);
    if (bot) return this.botNote(bot);
    const text = dialog && this.ctx.store.isSaved(dialog)
      ? 'Saved Messages: forward messages here to keep them, or write notes to yourself.'
      : 'No messages here yet. Say hello!';
    return h('div', { class: 'chat-note' }, h('span', { text }));
  }

  /** An empty chat with a bot: what it can do, from its description (Start is in the composer). */
  botNote(bot) {
    const text = h('div', { class: 'bot-note-text', text: '' });
    const card = h('div', { class: 'chat-note bot-note' }, h('div', { class: 'bot-note-card' },
      h('div', { class: 'bot-note-title', text: 'What can this bot do?' }), text));
    this.ctx.actions.botInfo(bot.id).then((info) => {
      const bi = info.bot_info || {};
      text.textContent = bi.description || info.about || 'This bot has no description yet.';
    }, () => { text.textContent = 'This bot has no description yet.'; });
    return card;
  }

  preserveScroll(fn) {
    const sc = this.scroller;
    const atBottom = this.bottomed || this.stick;
    let anchor = null;
    let top = 0;
    if (!atBottom) {
      const box = sc.getBoundingClientRect();
      for (const el of this.inner.children) {
        const r = el.getBoundingClientRect();
        if (r.bottom > box.top) { anchor = el; top = r.top; break; }
      }
    }
    fn();
    if (atBottom) {
      sc.scrollTop = sc.scrollHeight;
      this.bottomed = true;
    } else if (anchor && anchor.isConnected) {
      const delta = anchor.getBoundingClientRect().top - top;
      if (Math.abs(delta) >= 1) sc.scrollTop += delta;
    }
    this.stick = false;
  }

  atBottomAfter(marker) {
    return this.scroller.scrollHeight - (marker.offsetTop - 60) <= this.scroller.clientHeight;
  }

  atBottom(slack = 80) {
    const sc = this.scroller;
    return sc.scrollHeight - sc.scrollTop - sc.clientHeight < slack;
  }

  stickToBottom() {
    this.stick = true;
  }

  scrollToBottom(smooth) {
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
  }

  onScroll() {
    if (this.chatId === null) return;
    const hist = this.ctx.store.history(this.chatId);
    if (this.positioned) this.bottomed = this.atBottom(40);
    if (this.positioned && this.scroller.scrollTop < 400 && hist.loaded && !hist.complete && !hist.loading) {
      this.ctx.actions.loadHistory(this.chatId, { older: true }).catch(() => {});
    }
    this.viewsSoon();
    const away = !this.atBottom(200);
    this.downBtn.classList.toggle('shown', away);
    const unread = this.dialog ? this.dialog.unread_count : 0;
    this.downCount.textContent = unread ? String(unread) : '';
    this.maybeRead();
  }

  maybeRead() {
    if (this.chatId === null || document.visibilityState !== 'visible' || !this.positioned) return;
    const seen = this.atBottom(60) ? 0 : this.lastVisibleId();
    if (seen !== null) this.ctx.actions.markRead(this.chatId, seen);
  }

  /** The newest message on screen (null if none): what the user has read so far. */
  lastVisibleId() {
    const box = this.scroller.getBoundingClientRect();
    const kids = this.inner.children;
    for (let i = kids.length - 1; i >= 0; i -= 1) {
      const el = kids[i];
      if (!el.msgRef || el.msgRef.pending) continue;
      const r = el.getBoundingClientRect();
      if (r.top < box.top) return null;
      if (r.bottom <= box.bottom + 4) return el.lastId || el.msgRef.id;
    }
    return null;
  }

  needRef(id) {
    if (!this.refsAsked.has(id)) this.refsAsked.add(id);
  }

  askRefs() {
    const want = [...this.refsAsked].filter((id) => !this.ctx.store.message(this.chatId, id) && !this.askedFor?.has(`${this.chatId}:${id}`));
    if (!want.length) return;
    this.askedFor = this.askedFor || new Set();
    want.forEach((id) => this.askedFor.add(`${this.chatId}:${id}`));
    this.ctx.actions.fetchRefs(this.chatId, want);
  }

  lastOwnMessage() {
    const s = this.ctx.store;
    const hist = s.history(this.chatId);
    for (let i = hist.ids.length - 1; i >= 0; i -= 1) {
      const msg = hist.msgs.get(hist.ids[i]);
      if (msg.sender_id === s.me.id && !msg.action && !msg.fwd_from) return msg;
    }
    return null;
  }

  async jump(id) {
    if (!id) return;
    const chatId = this.chatId;
    this.bottomed = false;
    const found = await this.ctx.actions.loadUntil(chatId, id);
    if (chatId !== this.chatId) return;
    this.bottomed = false;
    this.draw();
    const el = this.inner.querySelector(`.msg[data-id="${id}"]`) || this.inner.querySelector(`[data-msg-id="${id}"]`)?.closest('.msg');
    if (!found || !el) {
      toast('This message was deleted');
      return;
    }
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    el.classList.remove('highlight');
    void el.offsetWidth;
    el.classList.add('highlight');
    setTimeout(() => el.classList.remove('highlight'), 1600);
  }

  // ---- pinned --------------------------------------------------------------------------------

  /** The pinned bar: the most recent pin first; a click jumps to it and moves to the older one. */
  drawPinned() {
    const s = this.ctx.store;
    const hist = s.history(this.chatId);
    const dialog = this.dialog;
    let ids = s.pins.get(this.chatId);
    if (!ids) { // not asked yet: what the loaded history shows
      ids = hist.ids.filter((id) => hist.msgs.get(id).pinned).reverse();
      const last = dialog && dialog.pinned_msg_id;
      if (last && !ids.includes(last) && s.message(this.chatId, last)?.pinned !== false) ids = [last, ...ids].sort((a, b) => b - a);
    }
    ids = ids.filter((id) => { const m = s.message(this.chatId, id); return !m || m.pinned !== false; });
    this.pinList = ids;
    this.view.classList.toggle('has-pinned', ids.length > 0);
    this.view.classList.toggle('can-unpin', !!dialog && s.isMember(this.chatId) && s.may(this.chatId, 'pin_messages'));
    if (!ids.length) { this.pinnedId = 0; return; }
    if (this.pinIndex >= ids.length) this.pinIndex = 0;
    const id = ids[this.pinIndex];
    this.pinnedId = id;
    const msg = s.message(this.chatId, id);
    if (!msg) this.needRef(id);
    this.pinnedTitle.textContent = ids.length > 1 ? `Pinned Message #${ids.length - this.pinIndex}` : 'Pinned Message';
    this.pinnedText.textContent = msg ? summary(msg, 100) : '…';
    const shown = Math.min(ids.length, 4);
    const at = Math.min(this.pinIndex, shown - 1);
    this.pinnedLines.classList.toggle('several', ids.length > 1);
    replace(this.pinnedLines, ids.length > 1 ? Array.from({ length: shown }, (_, i) => h('span', { class: i === at ? 'on' : '' })) : null);
  }

  /** Jump to the pin shown, and show the next older one (round to the newest after the last). */
  nextPin() {
    const id = this.pinnedId;
    if (!id) return;
    this.jump(id);
    if (this.pinList && this.pinList.length > 1) {
      this.pinIndex = (this.pinIndex + 1) % this.pinList.length;
      this.drawPinned();
    }
  }

  async unpin(id) {
    if (!id) return;
    await this.ctx.actions.pin(this.chatId, id, true);
  }

  // ---- message actions -----------------------------------------------------------------------

  msgAt(target) {
    const el = target.closest('.msg');
    return el && el.msgRef ? el.msgRef : null;
  }

  onClick(e) {
    const link = e.target.closest('a.mention');
    if (link) {
      e.preventDefault();
      this.openMention(link);
      return;
    }
    const command = e.target.closest('.bot-command');
    if (command && this.hasBots()) { // as in Telegram: a command in a chat with a bot sends it
      const text = command.textContent;
      this.ctx.actions.send(this.chatId, text, [{ type: 'bot_command', offset: 0, length: text.length }]);
      return;
    }
    const msg = this.msgAt(e.target);
    if (msg && msg.pending && msg.failed) pendingMenu(this, e, msg);
  }

  hasBots() {
    const s = this.ctx.store;
    const dialog = this.dialog;
    if (!dialog) return false;
    if (dialog.chat.kind === 'private') return !!botPeer(s, dialog);
    return (s.members.get(this.chatId) || []).some((m) => s.users.get(m.user_id)?.is_bot);
  }

  async openMention(link) {
    const { actions, app } = this.ctx;
    try {
      const user = link.dataset.userId ? { id: Number(link.dataset.userId) } : await actions.resolve(link.dataset.username);
      await app.openUser(user.id);
    } catch (err) {
      try { // not a person: a public supergroup or channel?
        const got = await actions.resolveChannel(link.dataset.username);
        await app.openPublicChat(got.chat.id);
      } catch (again) {
        toast('Nobody has this username', 'error');
      }
    }
  }

  onDouble(e) {
    const msg = this.msgAt(e.target);
    if (msg && !msg.pending && !msg.action && !e.target.closest('a')) {
      window.getSelection()?.removeAllRanges();
      this.composer.reply(msg);
    }
  }

  onContext(e) {
    const msg = this.msgAt(e.target);
    if (!msg) return;
    e.preventDefault();
    if (msg.pending) { pendingMenu(this, e, msg); return; }
    const row = e.target.closest('.msg');
    messageMenu(this, e, msg, (row && row.albumIds) || [msg.id]);
  }
}
