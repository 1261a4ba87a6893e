// The signed-in layout: chat list | chat | info, and the navigation between them. On a narrow
// screen one column shows at a time; the URL hash remembers the open chat (#/chat/ID).

import { confirmDialog, h, toast } from '../dom.js';
import { describe } from '../actions.js';
import { ChatList } from './chatlist.js';
import { ChatView } from './chat.js';
import { InfoPanel } from './info.js';
import { SettingsPanel } from './settings.js';
import { ThreadView } from './thread.js';
import { joinByLink } from './channels.js';
import { OperatorPage } from './operator.js';
import { scheduledDialog } from './scheduled.js';

export class AppView {
  constructor(ctx, { setTheme, logOut }) {
    this.ctx = ctx;
    ctx.app = this;
    this.setThemeFn = setTheme;
    this.logOutFn = logOut;
    this.openChatId = null;
    this.chatList = new ChatList(ctx);
    this.settings = new SettingsPanel(ctx);
    this.chatView = new ChatView(ctx);
    ctx.chatView = this.chatView;
    this.info = new InfoPanel(ctx);
    this.thread = new ThreadView(ctx);
    this.chatView.el.append(this.thread.el);
    this.operator = new OperatorPage(ctx);
    this.sidebar = h('aside', { class: 'sidebar' }, this.chatList.el, this.settings.el);
    this.el = h('div', { class: 'layout' }, this.sidebar, this.chatView.el, this.info.el, this.operator.el);
    addEventListener('hashchange', () => this.fromHash());
    ctx.store.on('unknown-chat', (chatId) => ctx.actions.refreshDialog(chatId));
    ctx.store.on('refresh-dialog', (chatId) => ctx.actions.refreshDialog(chatId));
    ctx.store.on('reload-chat', (chatId) => ctx.actions.refreshDialog(chatId));
    ctx.store.on('migrated', async ({ from, to }) => { // a basic group became a supergroup
      await ctx.actions.refreshDialog(to);
      if (this.openChatId === null || this.openChatId === from) this.openChat(to);
    });
    ctx.store.on('dialogs', () => {
      if (this.pendingHash && ctx.store.dialogs.has(this.pendingHash)) {
        const id = this.pendingHash;
        this.pendingHash = null;
        this.openChat(id);
      }
    });
  }

  fromHash() {
    const join = /^#\/join\/([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (join) { // an invite link: ask, join, open
      history.replaceState(null, '', location.pathname);
      joinByLink(this.ctx, join[1]);
      return;
    }
    if (location.hash === '#/operator') { this.operator.open(); return; }
    this.operator.close(false);
    const m = /^#\/chat\/(-?\d+)$/.exec(location.hash);
    const id = m ? Number(m[1]) : null;
    if (id === this.openChatId) return;
    if (id === null) this.closeChat(false);
    else if (this.ctx.store.dialogs.has(id)) this.openChat(id, false);
    else this.pendingHash = id;
  }

  openChat(chatId, push = true) {
    if (!this.ctx.store.dialogs.has(chatId)) return;
    if (this.thread.isOpen()) this.thread.close();
    this.operator.close(false);
    this.openChatId = chatId;
    this.el.classList.add('chat-open');
    this.chatView.open(chatId);
    if (this.el.classList.contains('info-open')) this.info.show(chatId);
    this.chatList.render();
    if (push && location.hash !== `#/chat/${chatId}`) history.pushState(null, '', `#/chat/${chatId}`);
  }

  closeChat(push = true) {
    if (this.thread.isOpen()) this.thread.close();
    this.openChatId = null;
    this.el.classList.remove('chat-open', 'info-open');
    this.chatView.close();
    this.chatList.render();
    if (push && location.hash) history.pushState(null, '', location.pathname);
  }

  async openUser(userId) {
    try {
      const chatId = await this.ctx.actions.openUser(userId);
      if (chatId !== null) this.openChat(chatId);
    } catch (err) {
      toast(describe(err, 'Cannot open this chat'), 'error');
    }
  }

  openInfo() {
    if (this.openChatId === null) return;
    this.el.classList.add('info-open');
    this.info.show(this.openChatId);
  }

  closeInfo() {
    this.el.classList.remove('info-open');
  }

  toggleInfo() {
    if (this.el.classList.contains('info-open')) this.closeInfo();
    else this.openInfo();
  }

  openSettings() {
    this.sidebar.classList.add('settings-open');
    this.settings.show();
  }

  closeSettings() {
    this.sidebar.classList.remove('settings-open');
    this.settings.hide();
  }

  /** A channel post's comments, a message's replies or a forum topic, over the chat. */
  openThread(thread) {
    this.thread.open(thread);
  }

  openScheduled(chatId) {
    scheduledDialog(this.ctx, chatId);
  }

  /** A public supergroup or channel: open it (a preview when this user is not in it). */
  async openPublicChat(chatId) {
    try {
      await this.ctx.actions.preview(chatId);
      this.openChat(chatId);
    } catch (err) {
      toast(describe(err, 'Cannot open this chat'), 'error');
    }
  }

  openOperator() {
    this.operator.open();
  }

  async leaveGroup(chatId) {
    const dialog = this.ctx.store.dialogs.get(chatId);
    const title = this.ctx.store.title(dialog);
    const what = dialog && dialog.chat.kind === 'channel' ? 'channel' : 'group';
    const ok = await confirmDialog({ title: `Leave ${what}`, text: `Are you sure you want to leave ${title}?`, ok: 'Leave', danger: true });
    if (!ok) return;
    try {
      await this.ctx.actions.leave(chatId);
      if (this.openChatId === chatId) this.closeChat();
    } catch (err) {
      toast(describe(err), 'error');
    }
  }

  setTheme(theme) {
    this.setThemeFn(theme);
    if (this.settings.themeToggle) this.settings.themeToggle.checked = theme === 'dark';
  }

  toggleTheme() {
    this.setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark');
  }

  logOut() {
    this.logOutFn();
  }
}
