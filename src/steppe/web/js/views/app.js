// The signed-in layout: chat list | chat | info, and the navigation between them. On a narrow
// screen one column shows at a time; the URL hash remembers the open chat (#/chat/ID).

import { confirmDialog, h, toast } from '../dom.js';
import { describe } from '../actions.js';
import { ChatList } from './chatlist.js';
import { ChatView } from './chat.js';
import { InfoPanel } from './info.js';
import { SettingsPanel } from './settings.js';

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
    this.sidebar = h('aside', { class: 'sidebar' }, this.chatList.el, this.settings.el);
    this.el = h('div', { class: 'layout' }, this.sidebar, this.chatView.el, this.info.el);
    addEventListener('hashchange', () => this.fromHash());
    ctx.store.on('unknown-chat', (chatId) => ctx.actions.refreshDialog(chatId));
    ctx.store.on('refresh-dialog', (chatId) => ctx.actions.refreshDialog(chatId));
    ctx.store.on('reload-chat', (chatId) => ctx.actions.refreshDialog(chatId));
    ctx.store.on('dialogs', () => {
      if (this.pendingHash && ctx.store.dialogs.has(this.pendingHash)) {
        const id = this.pendingHash;
        this.pendingHash = null;
        this.openChat(id);
      }
    });
  }

  fromHash() {
    const m = /^#\/chat\/(-?\d+)$/.exec(location.hash);
    const id = m ? Number(m[1]) : null;
    if (id === this.openChatId) return;
    if (id === null) this.closeChat(false);
    else if (this.ctx.store.dialogs.has(id)) this.openChat(id, false);
    else this.pendingHash = id;
  }

  openChat(chatId, push = true) {
    if (!this.ctx.store.dialogs.has(chatId)) return;
    this.openChatId = chatId;
    this.el.classList.add('chat-open');
    this.chatView.open(chatId);
    if (this.el.classList.contains('info-open')) this.info.show(chatId);
    this.chatList.render();
    if (push && location.hash !== `#/chat/${chatId}`) history.pushState(null, '', `#/chat/${chatId}`);
  }

  closeChat(push = true) {
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

  async leaveGroup(chatId) {
    const title = this.ctx.store.title(this.ctx.store.dialogs.get(chatId));
    const ok = await confirmDialog({ title: 'Leave group', text: `Are you sure you want to leave ${title}?`, ok: 'Leave', danger: true });
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
