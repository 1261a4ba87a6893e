// The left column: menu, search (local filter plus a global search by username), the chat list
// with previews, unread badges, typing and online state, pinned chats first; the new-chat button.

import { debounce, h, icon, iconButton, rafThrottle, replace, showMenu } from '../dom.js';
import { listDate, plural, snippet } from '../format.js';
import { actionText, avatar, peerOnline, senderName, summary, userRow } from './common.js';
import { newGroupDialog, newMessageDialog } from './pickers.js';
import { newChannelDialog } from './channels.js';
import { foundRow } from './search.js';

const CONN_TEXT = { connecting: 'Connecting…', offline: 'Waiting for network…', updating: 'Updating…' };

export function typingText(store, dialog, users) {
  if (!users.length) return '';
  if (dialog.chat.kind === 'private') return 'typing…';
  const first = store.user(users[0]);
  const name = first ? first.first_name : 'Someone';
  return users.length === 1 ? `${name} is typing…` : `${name} and ${users.length - 1} more are typing…`;
}

export function previewOf(store, dialog) {
  const msg = dialog.top_message;
  if (!msg) return { sender: '', text: { group: 'Group created', supergroup: 'Group created', channel: 'Channel created' }[dialog.chat.kind] || 'No messages yet', service: true };
  if (msg.action) return { sender: '', text: actionText(store, msg), service: true };
  let sender = '';
  if (store.me && msg.sender_id === store.me.id && !store.isSaved(dialog)) sender = 'You';
  else if (dialog.chat.kind === 'channel') sender = '';
  else if (msg.sender_id < 0) sender = senderName(store, msg.sender_id);
  else if (dialog.chat.kind !== 'private') sender = (store.user(msg.sender_id) || {}).first_name || '';
  const autoCopy = msg.fwd_from && msg.sender_id < 0 && msg.fwd_from.from_user_id === msg.sender_id; // a post's copy for comments
  const text = msg.fwd_from && !autoCopy ? `Forwarded: ${summary(msg, 100)}` : summary(msg, 100);
  return { sender, text: snippet(text, 100), service: false };
}

export class ChatList {
  constructor(ctx) {
    this.ctx = ctx;
    this.query = '';
    this.global = [];
    this.publicChats = [];
    this.found = null; // messages.searchGlobal's answer for the query
    this.searchInput = h('input', { class: 'search-input', type: 'search', placeholder: 'Search', 'aria-label': 'Search chats',
      oninput: () => this.onSearch() });
    this.clearBtn = iconButton('close', 'Clear search', () => { this.searchInput.value = ''; this.onSearch(); }, 'search-clear');
    this.connBar = h('div', { class: 'conn-bar', role: 'status' });
    this.list = h('div', { class: 'chatlist', role: 'list' });
    this.scroll = h('div', { class: 'chatlist-scroll', onscroll: () => this.maybeMore() }, this.list);
    this.fab = h('button', { type: 'button', class: 'fab', 'aria-label': 'New message', title: 'New message',
      onclick: (e) => this.fabMenu(e) }, icon('pencil'));
    this.el = h('div', { class: 'sidebar-main' },
      h('div', { class: 'sidebar-head' },
        iconButton('menu', 'Menu', (e) => this.mainMenu(e), 'menu-btn'),
        h('div', { class: 'search-box' }, icon('search', 'search-icon'), this.searchInput, this.clearBtn)),
      this.connBar, this.scroll, this.fab);
    this.render = rafThrottle(() => this.draw());
    const s = ctx.store;
    for (const name of ['dialogs', 'users', 'typing', 'conn', 'me', 'photos']) s.on(name, this.render);
    this.searchGlobal = debounce((q) => this.runGlobal(q), 250);
    this.draw();
  }

  async mainMenu(e) {
    const r = e.currentTarget.getBoundingClientRect();
    const { app, actions } = this.ctx;
    const dark = document.documentElement.dataset.theme === 'dark';
    // The operator's page is in the menu only for operators (asked each time: a role can change).
    const operator = await Promise.race([actions.isOperator(), new Promise((resolve) => setTimeout(() => resolve(this.operator || false), 1500))]);
    this.operator = operator;
    showMenu(r.left, r.bottom + 6, [
      { icon: 'bookmark', label: 'Saved Messages', action: () => app.openUser(this.ctx.store.me.id) },
      { icon: 'person', label: 'New Message', action: () => newMessageDialog(this.ctx) },
      { icon: 'group', label: 'New Group', action: () => newGroupDialog(this.ctx) },
      { icon: 'group', label: 'New Supergroup', action: () => newChannelDialog(this.ctx, false) },
      { icon: 'channel', label: 'New Channel', action: () => newChannelDialog(this.ctx, true) },
      operator ? { icon: 'chart', label: 'Operator', action: () => app.openOperator() } : null,
      { icon: 'settings', label: 'Settings', action: () => app.openSettings() },
      { icon: 'moon', label: dark ? 'Day Mode' : 'Night Mode', action: () => app.toggleTheme() },
    ], 'main-menu');
  }

  fabMenu(e) {
    const r = e.currentTarget.getBoundingClientRect();
    showMenu(r.right - 200, r.top - 150, [
      { icon: 'person', label: 'New Message', action: () => newMessageDialog(this.ctx) },
      { icon: 'group', label: 'New Group', action: () => newGroupDialog(this.ctx) },
      { icon: 'channel', label: 'New Channel', action: () => newChannelDialog(this.ctx, true) },
    ], 'fab-menu');
  }

  onSearch() {
    this.query = this.searchInput.value.trim();
    this.el.classList.toggle('searching', !!this.query);
    this.global = [];
    this.publicChats = [];
    this.found = null;
    this.draw();
    if (this.query.replace(/^@/, '').length >= 2) this.searchGlobal(this.query);
  }

  /** People by username, public groups and channels, and messages in every chat. */
  async runGlobal(q) {
    const { actions } = this.ctx;
    const bare = q.replace(/^@/, '');
    const people = actions.searchUsers(q).catch(() => []);
    const chats = actions.searchDirectory(q).then((got) => got.chats, () => []);
    const messages = !q.startsWith('@') && bare.length >= 3 ? actions.searchGlobal(q).catch(() => null) : Promise.resolve(null);
    const [found, publicChats, msgs] = await Promise.all([people, chats, messages]);
    if (q !== this.query) return;
    this.global = found;
    this.publicChats = publicChats;
    this.found = msgs;
    this.draw();
  }

  maybeMore() {
    const sc = this.scroll;
    if (!this.query && sc.scrollTop + sc.clientHeight > sc.scrollHeight - 300) this.ctx.actions.loadDialogs().catch(() => {});
  }

  draw() {
    const s = this.ctx.store;
    const state = s.syncing && s.conn === 'online' ? 'updating' : s.conn;
    this.connBar.textContent = CONN_TEXT[state] || '';
    this.connBar.classList.toggle('shown', !!CONN_TEXT[state]);
    document.body.classList.toggle('offline', s.conn !== 'online');
    const dialogs = s.sortedDialogs();
    const unread = dialogs.reduce((n, d) => n + (d.unread_count > 0 ? 1 : 0), 0);
    document.title = unread ? `(${unread}) Steppe` : 'Steppe';
    if (this.query) {
      replace(this.list, this.searchResults(dialogs));
      return;
    }
    if (!dialogs.length) {
      const text = s.dialogsLoaded ? 'No chats yet. Press the pencil button to find someone by @username or to create a group.' : 'Loading chats…';
      replace(this.list, h('div', { class: 'empty-list', text }));
      return;
    }
    replace(this.list, dialogs.map((d) => this.row(d)));
  }

  searchResults(dialogs) {
    const s = this.ctx.store;
    const q = this.query.toLowerCase().replace(/^@/, '');
    const local = dialogs.filter((d) => {
      const title = s.title(d).toLowerCase();
      const u = d.chat.kind === 'private' ? s.users.get(d.peer_user_id) : null;
      return title.includes(q) || (u && u.username && u.username.toLowerCase().startsWith(q));
    });
    const known = new Set(local.filter((d) => d.chat.kind === 'private').map((d) => d.peer_user_id));
    const people = this.global.filter((u) => !known.has(u.id));
    const mine = new Set(local.map((d) => d.chat.id));
    const publicChats = this.publicChats.filter((c) => !mine.has(c.chat.id));
    const out = [];
    if (local.length) out.push(h('div', { class: 'list-section', text: 'Chats' }), local.map((d) => this.row(d)));
    if (people.length || publicChats.length) {
      out.push(h('div', { class: 'list-section', text: 'Global search' }),
        people.map((u) => userRow(s, u, { cls: 'dialog-like', onclick: () => this.openUser(u.id) })),
        publicChats.map((c) => this.publicRow(c)));
    }
    const msgs = this.found ? this.found.results : [];
    if (msgs.length) {
      out.push(h('div', { class: 'list-section', text: 'Messages' }), msgs.map((f) => foundRow(s, f, {
        chatTitle: s.dialogs.has(f.message.chat_id) ? s.title(s.dialogs.get(f.message.chat_id)) : s.chatName(f.message.chat_id),
        onclick: () => this.openFound(f.message) })));
    }
    if (!out.length) out.push(h('div', { class: 'empty-list', text: this.query.length < 2 ? 'Type a name or @username' : 'Nothing found' }));
    return out;
  }

  async openUser(userId) {
    this.searchInput.value = '';
    this.onSearch();
    await this.ctx.app.openUser(userId);
  }

  /** A public supergroup or channel found by @username or title. */
  publicRow(c) {
    const s = this.ctx.store;
    const dialog = { chat: c.chat };
    const sub = `@${c.username} · ${plural(c.chat.member_count || 0, c.chat.kind === 'channel' ? 'subscriber' : 'member')}`;
    return h('div', { class: 'row dialog-like public-chat', role: 'button', tabindex: '0', dataset: { chatId: String(c.chat.id) },
      onclick: () => this.openPublic(c.chat.id), onkeydown: (e) => { if (e.key === 'Enter') this.openPublic(c.chat.id); } },
    avatar(s, { dialog }), h('div', { class: 'row-body' },
      h('div', { class: 'row-title' }, c.chat.kind === 'channel' ? icon('channel', 'kind-icon') : icon('group', 'kind-icon'), h('span', { text: c.chat.title })),
      h('div', { class: 'row-sub', text: sub })));
  }

  async openPublic(chatId) {
    this.searchInput.value = '';
    this.onSearch();
    await this.ctx.app.openPublicChat(chatId);
  }

  async openFound(msg) {
    const { app } = this.ctx;
    if (!this.ctx.store.dialogs.has(msg.chat_id)) await this.ctx.actions.refreshDialog(msg.chat_id);
    app.openChat(msg.chat_id);
    if (app.openChatId === msg.chat_id) {
      const view = this.ctx.chatView;
      if (view.view.classList.contains('forum-mode')) view.showHistory();
      view.jump(msg.id);
    }
  }

  row(dialog) {
    const s = this.ctx.store;
    const { app } = this.ctx;
    const chatId = dialog.chat.id;
    const typing = typingText(s, dialog, s.typingUsers(chatId));
    const preview = previewOf(s, dialog);
    const msg = dialog.top_message;
    const own = msg && s.me && msg.sender_id === s.me.id && !msg.action && !s.isSaved(dialog);
    const read = own && dialog.read_outbox_max_id >= msg.id;
    const title = s.title(dialog);
    const previewEl = typing
      ? h('div', { class: 'dialog-preview typing', text: typing })
      : h('div', { class: `dialog-preview ${preview.service ? 'service' : ''}` },
        preview.sender ? h('span', { class: 'preview-sender', text: `${preview.sender}: ` }) : null,
        h('span', { class: 'preview-text', text: preview.text }));
    const badge = dialog.unread_count > 0
      ? h('span', { class: 'badge', text: dialog.unread_count > 999 ? '999+' : String(dialog.unread_count) })
      : (dialog.pinned ? h('span', { class: 'pin-mark', 'aria-label': 'Pinned' }, icon('pin')) : null);
    return h('div', {
      class: `dialog ${app.openChatId === chatId ? 'active' : ''} ${dialog.pinned ? 'pinned' : ''}`,
      role: 'listitem', tabindex: '0', dataset: { chatId: String(chatId) },
      onclick: () => app.openChat(chatId),
      onkeydown: (e) => { if (e.key === 'Enter') app.openChat(chatId); },
      oncontextmenu: (e) => { e.preventDefault(); this.rowMenu(e, dialog); },
    },
    avatar(s, { dialog, online: peerOnline(s, dialog) }),
    h('div', { class: 'dialog-body' },
      h('div', { class: 'dialog-top' },
        h('span', { class: 'dialog-title' }, dialog.chat.kind === 'group' || dialog.chat.kind === 'supergroup' ? icon('group', 'kind-icon') : null,
          dialog.chat.kind === 'channel' ? icon('channel', 'kind-icon') : null,
          dialog.chat.kind === 'private' && s.users.get(dialog.peer_user_id)?.is_bot ? icon('bot', 'kind-icon bot-icon') : null,
          h('span', { class: 'title-text', text: title })),
        h('span', { class: 'dialog-meta' },
          own ? icon(read ? 'ticks' : 'tick', read ? 'read' : '') : null,
          h('span', { class: 'dialog-date', text: listDate(msg ? msg.date : dialog.chat.last_date) }))),
      h('div', { class: 'dialog-bottom' }, previewEl, badge)));
  }

  rowMenu(e, dialog) {
    const { actions, app } = this.ctx;
    const kind = dialog.chat.kind;
    const me = this.ctx.store.standing(dialog.chat.id);
    showMenu(e.clientX, e.clientY, [
      { icon: 'pin', label: dialog.pinned ? 'Unpin' : 'Pin to top', action: () => actions.togglePin(dialog.chat.id) },
      { icon: 'info', label: { group: 'Group info', supergroup: 'Group info', channel: 'Channel info' }[kind] || 'View profile',
        action: () => { app.openChat(dialog.chat.id); app.openInfo(); } },
      kind === 'group' || ((kind === 'supergroup' || kind === 'channel') && (me ? me.status !== 'creator' : dialog.chat.creator_id !== this.ctx.store.me.id))
        ? { icon: 'logout', label: kind === 'channel' ? 'Leave channel' : 'Leave group', danger: true, action: () => app.leaveGroup(dialog.chat.id) } : null,
    ]);
  }
}

