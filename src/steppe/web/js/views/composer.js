// The message box: Enter sends, Shift+Enter breaks the line, Markdown-style shortcuts become
// entities, Ctrl+B / Ctrl+I / Ctrl+E / Ctrl+K wrap the selection; reply and edit bars; drafts.

import { describe } from '../actions.js';
import { h, icon, iconButton, showMenu, toast } from '../dom.js';
import { parseMarkdown, toMarkdown } from '../format.js';
import { attachDialog } from './attach.js';
import { BotControls } from './bots.js';
import { senderName, summary } from './common.js';
import { pollDialog } from './posts.js';
import { scheduleDialog, scheduledDialog } from './scheduled.js';

const WRAP = { b: ['**', '**'], i: ['__', '__'], e: ['`', '`'] };
const MAX = 4096;

export class Composer {
  constructor(ctx) {
    this.ctx = ctx;
    this.chatId = null;
    this.mode = null; // {kind: 'reply' | 'edit', msg}
    this.drafts = new Map();
    this.input = h('textarea', { class: 'composer-input', rows: 1, placeholder: 'Message', 'aria-label': 'Message',
      oninput: () => this.onInput(), onkeydown: (e) => this.onKey(e), onpaste: (e) => this.onPaste(e),
      onblur: () => setTimeout(() => { if (document.activeElement !== this.input) this.bots.closePopup(); }, 150) });
    this.fileInput = h('input', { type: 'file', multiple: true, class: 'file-input', tabindex: '-1', 'aria-hidden': 'true',
      onchange: () => {
        const files = [...this.fileInput.files];
        this.fileInput.value = '';
        if (files.length) attachDialog(ctx, files, { asPhotos: true });
      } });
    this.attachBtn = iconButton('attach', 'Attach files', () => this.fileInput.click(), 'attach-btn');
    this.bots = new BotControls(this, ctx);
    this.sendBtn = h('button', { type: 'button', class: 'send-btn', 'aria-label': 'Send', title: 'Send (Enter); right-click for more',
      onclick: () => this.submit(), oncontextmenu: (e) => this.sendMenu(e) }, icon('send'));
    // Supergroups and channels: a poll, a silent broadcast, the scheduled messages, and what
    // shows instead of the box where this user may not write (a preview: the Join button).
    this.silent = false;
    this.pollBtn = iconButton('poll', 'Create poll', () => pollDialog(ctx, this.chatId), 'poll-btn');
    this.silentBtn = iconButton('bell', 'Silent broadcast: off', () => this.toggleSilent(), 'silent-btn');
    this.scheduledBtn = iconButton('clock', 'Scheduled messages', () => scheduledDialog(ctx, this.chatId), 'scheduled-btn');
    this.joinBtn = h('button', { type: 'button', class: 'start-btn join-btn', text: 'Join', onclick: () => this.join() });
    this.noticeText = h('span', { class: 'notice-text' });
    this.notice = h('div', { class: 'composer-notice' }, this.noticeText);
    this.accessBar = h('div', { class: 'access-bar' }, this.joinBtn, this.notice);
    this.barIcon = h('span', { class: 'bar-icon' });
    this.barTitle = h('div', { class: 'bar-title' });
    this.barText = h('div', { class: 'bar-text' });
    this.bar = h('div', { class: 'compose-bar' }, this.barIcon,
      h('div', { class: 'bar-body' }, this.barTitle, this.barText),
      iconButton('close', 'Cancel', () => this.cancel()));
    this.el = h('div', { class: 'composer-area' }, this.bots.popup,
      h('div', { class: 'composer' }, this.bots.menuBtn,
        h('div', { class: 'composer-box' }, this.bar,
          h('div', { class: 'composer-row' }, this.input, this.bots.kbToggle, this.scheduledBtn, this.silentBtn, this.pollBtn, this.attachBtn)), this.sendBtn),
      this.bots.keyboard, this.bots.startBar, this.accessBar, this.fileInput);
    const redraw = () => { if (this.chatId !== null) this.bots.update(); };
    const mine = (fn) => (ev) => { const id = typeof ev === 'number' ? ev : ev && ev.chatId; if (id === this.chatId) fn(); };
    ctx.store.on('messages', mine(redraw));
    ctx.store.on('pending', mine(redraw));
    ctx.store.on('members', mine(redraw));
    ctx.store.on('users', redraw);
    const access = () => { if (this.chatId !== null) this.drawAccess(); };
    ctx.store.on('chat-info', mine(access));
    ctx.store.on('joined', mine(access));
    ctx.store.on('dialogs', access);
    ctx.store.on('scheduled', mine(access));
    ctx.store.on('slowmode', mine(() => this.slowTick()));
  }

  /** Who may write here: a preview shows Join; a channel's readers and restricted members a note. */
  drawAccess() {
    const s = this.ctx.store;
    const dialog = s.dialogs.get(this.chatId);
    const kind = dialog ? dialog.chat.kind : 'private';
    const big = s.isBig(dialog);
    let blocked = '';
    let join = false;
    if (dialog && dialog.preview) join = true;
    else if (big && s.standing(this.chatId)) {
      const me = s.standing(this.chatId);
      if (!['creator', 'admin', 'member', 'restricted'].includes(me.status)) join = me.status !== 'banned';
      else if (!s.may(this.chatId, 'send_messages')) {
        blocked = kind === 'channel' ? 'Only the channel’s admins post here' : 'Sending messages is not allowed here';
      }
    }
    this.joinBtn.textContent = kind === 'channel' ? 'Join Channel' : 'Join Group';
    this.joinBtn.hidden = !join;
    this.notice.hidden = !blocked;
    this.noticeText.textContent = blocked;
    this.el.classList.toggle('blocked', join || !!blocked);
    this.pollBtn.hidden = !dialog || kind === 'private' || !s.may(this.chatId, 'send_polls');
    this.silentBtn.hidden = kind !== 'channel';
    this.scheduledBtn.hidden = !(s.scheduled.get(this.chatId)?.size);
    this.input.placeholder = kind === 'channel' ? (this.silent ? 'Silent broadcast' : 'Broadcast') : (this.input.placeholder === 'Broadcast' || this.input.placeholder === 'Silent broadcast' ? 'Message' : this.input.placeholder);
    this.slowTick();
  }

  async join() {
    this.joinBtn.disabled = true;
    try {
      await this.ctx.actions.join(this.chatId);
    } catch (err) {
      toast(describe(err, 'Not joined'), 'error');
    } finally {
      this.joinBtn.disabled = false;
    }
    this.drawAccess();
  }

  toggleSilent() {
    this.silent = !this.silent;
    this.silentBtn.replaceChildren(icon(this.silent ? 'belloff' : 'bell'));
    this.silentBtn.setAttribute('aria-label', `Silent broadcast: ${this.silent ? 'on' : 'off'}`);
    this.silentBtn.title = this.silentBtn.getAttribute('aria-label');
    this.silentBtn.classList.toggle('active', this.silent);
    this.drawAccess();
  }

  /** Slow mode: the placeholder counts down to when this user may send again. */
  slowTick() {
    clearTimeout(this.slowTimer);
    const until = this.ctx.store.slowUntil.get(this.chatId) || 0;
    const left = Math.ceil((until - Date.now()) / 1000);
    this.el.classList.toggle('slow', left > 0);
    if (left > 0) {
      this.input.placeholder = `Slow mode: wait ${left} s`;
      this.slowTimer = setTimeout(() => this.slowTick(), 1000);
    } else if (/^Slow mode/.test(this.input.placeholder)) {
      this.input.placeholder = 'Message';
      if (this.chatId !== null && this.ctx.store.dialogs.get(this.chatId)?.chat.kind === 'channel') this.input.placeholder = 'Broadcast';
    }
  }

  /** Right-click on Send: send without sound, or later. */
  sendMenu(e) {
    e.preventDefault();
    if (this.mode?.kind === 'edit' || this.chatId === null) return;
    const r = this.sendBtn.getBoundingClientRect();
    showMenu(r.right - 230, r.top - 100, [
      { icon: 'belloff', label: 'Send without sound', action: () => this.submit({ silent: true }) },
      { icon: 'clock', label: 'Schedule message', action: async () => {
        const when = await scheduleDialog();
        if (when) this.submit({ schedule_date: when });
      } },
    ]);
  }

  /** Can the user write here now (not a bot chat waiting for Start)? */
  canSend() {
    return this.chatId !== null && !this.el.classList.contains('bot-start');
  }

  /** The text in the box, taken out (it becomes a caption). */
  takeText() {
    if (this.mode?.kind === 'edit') return '';
    const text = this.input.value;
    this.input.value = '';
    this.drafts.delete(this.chatId);
    this.resize();
    return text;
  }

  /** The message being replied to (id), and the reply bar closed. */
  takeReply() {
    if (this.mode?.kind !== 'reply') return null;
    const id = this.mode.msg.id;
    this.mode = null;
    this.drawBar();
    return id;
  }

  setText(text) {
    this.input.value = text;
    this.resize();
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
    this.bots.onInput(text);
  }

  onPaste(e) {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return;
    e.preventDefault();
    attachDialog(this.ctx, files, { asPhotos: true });
  }

  setChat(chatId) {
    if (this.chatId !== null && this.mode?.kind !== 'edit') this.drafts.set(this.chatId, this.input.value);
    this.chatId = chatId;
    this.mode = null;
    this.input.value = this.drafts.get(chatId) || '';
    this.drawBar();
    this.resize();
    this.bots.setChat(chatId);
    if (chatId !== null) this.drawAccess();
  }

  focus() {
    if (matchMedia('(pointer: fine)').matches) this.input.focus();
  }

  reply(msg) {
    this.setMode({ kind: 'reply', msg });
  }

  edit(msg) {
    if (this.mode?.kind !== 'edit') this.drafts.set(this.chatId, this.input.value);
    this.setMode({ kind: 'edit', msg });
    this.input.value = toMarkdown(msg.text, msg.entities || []);
    this.resize();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }

  setMode(mode) {
    this.mode = mode;
    this.drawBar();
    this.input.focus();
  }

  cancel() {
    const wasEdit = this.mode?.kind === 'edit';
    this.mode = null;
    if (wasEdit) {
      this.input.value = this.drafts.get(this.chatId) || '';
      this.resize();
    }
    this.drawBar();
  }

  drawBar() {
    const mode = this.mode;
    this.attachBtn.hidden = false;
    this.bar.classList.toggle('shown', !!mode);
    this.el.classList.toggle('editing', mode?.kind === 'edit');
    this.sendBtn.replaceChildren(icon(mode?.kind === 'edit' ? 'tick' : 'send'));
    this.sendBtn.setAttribute('aria-label', mode?.kind === 'edit' ? 'Save' : 'Send');
    if (!mode) return;
    this.barIcon.replaceChildren(icon(mode.kind === 'edit' ? 'pencil' : 'reply'));
    this.barTitle.textContent = mode.kind === 'edit' ? 'Edit message' : `Reply to ${senderName(this.ctx.store, mode.msg.sender_id)}`;
    this.barText.textContent = summary(mode.msg, 120);
    this.attachBtn.hidden = mode.kind === 'edit';
  }

  resize() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 220)}px`;
    this.el.classList.toggle('has-text', !!this.input.value.trim());
  }

  onInput() {
    this.resize();
    this.bots.onInput(this.input.value);
    if (this.input.value.trim() && this.mode?.kind !== 'edit') this.ctx.actions.typing(this.chatId);
  }

  onKey(e) {
    if (this.bots.onKey(e)) {
      e.preventDefault();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    } else if (e.key === 'Escape' && this.mode) {
      e.preventDefault();
      this.cancel();
    } else if (e.key === 'ArrowUp' && !this.input.value && !this.mode) {
      const last = this.ctx.chatView.lastOwnMessage();
      if (last) { e.preventDefault(); this.edit(last); }
    } else if ((e.ctrlKey || e.metaKey) && WRAP[e.key.toLowerCase()]) {
      e.preventDefault();
      this.wrap(...WRAP[e.key.toLowerCase()]);
    } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      this.wrap('[', '](https://)');
    }
  }

  wrap(before, after) {
    const { selectionStart: a, selectionEnd: b, value } = this.input;
    this.input.value = value.slice(0, a) + before + value.slice(a, b) + after + value.slice(b);
    this.input.setSelectionRange(a + before.length, b + before.length);
    this.resize();
  }

  async submit(opts = {}) {
    this.bots.closePopup();
    const raw = this.input.value;
    if (!raw.trim()) return;
    const { text, entities } = parseMarkdown(raw);
    if (!text) return;
    const command = /^\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?![^\s])/.exec(text);
    if (command && !entities.some((e) => e.offset === 0)) entities.unshift({ type: 'bot_command', offset: 0, length: command[0].length });
    if (text.length > MAX) {
      toast(`The message is too long (${text.length} of ${MAX} characters)`, 'error');
      return;
    }
    const chatId = this.chatId;
    const mode = this.mode;
    this.input.value = '';
    this.drafts.delete(chatId);
    this.mode = null;
    this.drawBar();
    this.resize();
    if (mode?.kind === 'edit') {
      this.input.value = this.drafts.get(chatId) || '';
      this.resize();
      if (text !== mode.msg.text || JSON.stringify(entities) !== JSON.stringify(mode.msg.entities || [])) {
        await this.ctx.actions.edit(chatId, mode.msg.id, text, entities);
      }
      return;
    }
    this.ctx.actions.typingSent = 0;
    this.ctx.chatView.stickToBottom();
    const dialog = this.ctx.store.dialogs.get(chatId);
    if (dialog && dialog.chat.kind === 'channel' && this.silent) opts = { silent: true, ...opts };
    await this.ctx.actions.send(chatId, text, entities, mode?.kind === 'reply' ? mode.msg.id : null, opts);
  }
}
