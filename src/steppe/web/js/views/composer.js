// The message box: Enter sends, Shift+Enter breaks the line, Markdown-style shortcuts become
// entities, Ctrl+B / Ctrl+I / Ctrl+E / Ctrl+K wrap the selection; reply and edit bars; drafts.

import { h, icon, iconButton, toast } from '../dom.js';
import { fullName, parseMarkdown, toMarkdown } from '../format.js';
import { attachDialog } from './attach.js';
import { BotControls } from './bots.js';
import { summary } from './common.js';

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
    this.sendBtn = h('button', { type: 'button', class: 'send-btn', 'aria-label': 'Send', title: 'Send (Enter)',
      onclick: () => this.submit() }, icon('send'));
    this.barIcon = h('span', { class: 'bar-icon' });
    this.barTitle = h('div', { class: 'bar-title' });
    this.barText = h('div', { class: 'bar-text' });
    this.bar = h('div', { class: 'compose-bar' }, this.barIcon,
      h('div', { class: 'bar-body' }, this.barTitle, this.barText),
      iconButton('close', 'Cancel', () => this.cancel()));
    this.el = h('div', { class: 'composer-area' }, this.bots.popup,
      h('div', { class: 'composer' }, this.bots.menuBtn,
        h('div', { class: 'composer-box' }, this.bar,
          h('div', { class: 'composer-row' }, this.input, this.bots.kbToggle, this.attachBtn)), this.sendBtn),
      this.bots.keyboard, this.bots.startBar, this.fileInput);
    const redraw = () => { if (this.chatId !== null) this.bots.update(); };
    const mine = (fn) => (ev) => { const id = typeof ev === 'number' ? ev : ev && ev.chatId; if (id === this.chatId) fn(); };
    ctx.store.on('messages', mine(redraw));
    ctx.store.on('pending', mine(redraw));
    ctx.store.on('members', mine(redraw));
    ctx.store.on('users', redraw);
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
    this.barTitle.textContent = mode.kind === 'edit' ? 'Edit message' : `Reply to ${fullName(this.ctx.store.user(mode.msg.sender_id))}`;
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

  async submit() {
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
    await this.ctx.actions.send(chatId, text, entities, mode?.kind === 'reply' ? mode.msg.id : null);
  }
}
