// Bots in the chat: inline keyboards under a bot's message (callback answers as a toast or an
// alert, links in a new tab), the reply keyboard that takes over the input area, the command menu
// ("/" button, or "/" typed), inline mode ("@bot query"), the Start button of an empty bot chat
// and its description, and a section with the bot's commands in the info panel.

import { describe } from '../actions.js';
import { alertDialog, confirmDialog, debounce, h, icon, modal, replace, toast } from '../dom.js';
import { fullName } from '../format.js';
import { registerInfoSection } from './info.js';
import { registerBubblePart } from './messages.js';

const SAFE_URL = /^(https?:\/\/|tg:)/i;

registerBubblePart({ id: 'inline-keyboard', outside: true, render: inlineKeyboard }, 'attachment');
registerInfoSection({ id: 'bot-about', applies: (d, ctx) => isBotChat(ctx.store, d), render: botAboutSection }, 'members');

export function botPeer(store, dialog) {
  if (!dialog || dialog.chat.kind !== 'private') return null;
  const user = store.users.get(dialog.peer_user_id);
  return user && user.is_bot ? user : null;
}

function isBotChat(store, dialog) {
  return !!botPeer(store, dialog);
}

/** Open a link a bot gave, after asking (it may lead anywhere). */
export function openLink(url) {
  if (!SAFE_URL.test(url || '')) { toast('This link cannot be opened', 'error'); return; }
  const m = modal({ cls: 'confirm' });
  m.body.append(h('h3', { text: 'Open this link?' }), h('p', { class: 'link-text', text: url }),
    h('div', { class: 'modal-actions' },
      h('button', { type: 'button', class: 'btn-text', text: 'Cancel', onclick: () => m.close() }),
      h('a', { class: 'btn-text', href: url, target: '_blank', rel: 'noopener noreferrer', text: 'Open', onclick: () => setTimeout(() => m.close(), 0) })));
}

// ---- inline keyboards ------------------------------------------------------------------------

function inlineKeyboard(msg, view) {
  const rows = msg.reply_markup && msg.reply_markup.inline_keyboard;
  if (!rows || !rows.length || msg.pending) return null;
  const botId = msg.via_bot_id || msg.sender_id;
  return h('div', { class: 'inline-kb', role: 'group', 'aria-label': 'Bot buttons' }, rows.map((row) => h('div', { class: 'kb-row' },
    row.map((b) => inlineButton(b, msg, view, botId)))));
}

function inlineButton(b, msg, view, botId) {
  const label = h('span', { class: 'kb-text', text: b.text });
  if (b.url) {
    if (!SAFE_URL.test(b.url)) return h('button', { type: 'button', class: 'kb-btn', disabled: true }, label);
    return h('a', { class: 'kb-btn kb-url', href: b.url, target: '_blank', rel: 'noopener noreferrer', title: b.url }, label, icon('open', 'kb-corner'));
  }
  const btn = h('button', { type: 'button', class: 'kb-btn' }, label);
  if (b.callback_data !== undefined && b.callback_data !== null) {
    btn.addEventListener('click', () => press(btn, b, msg, view));
  } else if (b.switch_inline_query !== undefined && b.switch_inline_query !== null
    || b.switch_inline_query_current_chat !== undefined && b.switch_inline_query_current_chat !== null) {
    btn.append(icon('forward', 'kb-corner'));
    btn.addEventListener('click', () => {
      const bot = view.store.users.get(botId);
      const query = b.switch_inline_query_current_chat ?? b.switch_inline_query ?? '';
      if (bot && bot.username) view.ctx.chatView.composer.setText(`@${bot.username} ${query}`);
    });
  } else if (b.copy_text) {
    btn.append(icon('copy', 'kb-corner'));
    btn.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(b.copy_text.text || ''); toast('Copied to clipboard'); } catch (err) { toast('Copying is not allowed here', 'error'); }
    });
  } else {
    btn.disabled = true;
    btn.title = 'Not supported in the web client';
  }
  return btn;
}

async function press(btn, b, msg, view) {
  if (btn.classList.contains('loading')) return;
  btn.classList.add('loading');
  try {
    const answer = await view.ctx.actions.pressButton(view.chatId, msg.id, b.callback_data);
    if (answer.url) openLink(answer.url);
    if (answer.message) {
      if (answer.alert) alertDialog({ text: answer.message });
      else toast(answer.message, 'bot-answer');
    }
  } catch (err) {
    toast(describe(err), 'error');
  } finally {
    btn.classList.remove('loading');
  }
}

// ---- the info panel: what the bot does, its commands ------------------------------------------

function botAboutSection(dialog, ctx) {
  const bot = botPeer(ctx.store, dialog);
  const box = h('div', { class: 'bot-about' });
  ctx.actions.botInfo(bot.id).then((info) => {
    const bi = info.bot_info || {};
    replace(box,
      bi.description ? h('div', { class: 'info-row' }, icon('bot'), h('div', {}, h('div', { class: 'info-value', text: bi.description }),
        h('div', { class: 'info-label', text: 'What this bot can do' }))) : null,
      (bi.commands || []).length ? h('div', { class: 'section-title' }, h('span', { text: 'Commands' })) : null,
      (bi.commands || []).map((c) => h('button', { type: 'button', class: 'row-btn command-row',
        onclick: () => { ctx.actions.send(dialog.chat.id, `/${c.command}`, [{ type: 'bot_command', offset: 0, length: c.command.length + 1 }]); } },
      h('span', { class: 'cmd-name', text: `/${c.command}` }), h('span', { class: 'cmd-desc', text: c.description }))));
  }, () => {});
  return box;
}

// ---- the composer's bot controls -------------------------------------------------------------

/**
 * What a composer shows for bots: the "/" menu button and the command list, the reply keyboard
 * and its toggle, inline-mode results, and the Start bar of a bot chat with no messages yet.
 */
export class BotControls {
  constructor(composer, ctx) {
    this.composer = composer;
    this.ctx = ctx;
    this.chatId = null;
    this.commands = [];
    this.commandsFor = null;
    this.kbState = new Map(); // chat id -> {msgId, hidden}
    this.forced = new Set(); // force_reply messages already turned into a reply
    this.popupMode = null; // 'commands' | 'inline'
    this.selected = 0;
    this.rows = [];
    this.menuBtn = h('button', { type: 'button', class: 'bot-menu-btn', 'aria-label': 'Bot commands', title: 'Bot commands',
      onmousedown: (e) => e.preventDefault(), // keep the focus in the input (its blur closes the menu)
      onclick: () => { this.toggleCommands(); this.composer.input.focus(); } }, icon('slash'));
    this.kbToggle = h('button', { type: 'button', class: 'icon-btn kb-toggle', 'aria-label': 'Show bot keyboard', title: 'Bot keyboard',
      onclick: () => this.toggleKeyboard() }, icon('keyboard'));
    this.keyboard = h('div', { class: 'reply-kb', role: 'group', 'aria-label': 'Bot keyboard' });
    this.popup = h('div', { class: 'composer-popup', role: 'listbox' });
    this.startBtn = h('button', { type: 'button', class: 'start-btn', text: 'Start', onclick: () => this.start() });
    this.startBar = h('div', { class: 'start-bar' }, this.startBtn);
    this.askInline = debounce((bot, query) => this.runInline(bot, query), 350);
    this.inlineSeq = 0;
    this.usernames = new Map();
  }

  get store() { return this.ctx.store; }

  get dialog() { return this.store.dialogs.get(this.chatId); }

  setChat(chatId) {
    this.chatId = chatId;
    this.closePopup();
    this.commands = [];
    this.commandsFor = null;
    this.update();
  }

  /** Redraw from the chat's state (called on new messages, members, users). */
  update() {
    const dialog = this.dialog;
    if (!dialog) {
      this.composer.el.classList.remove('bot-start', 'has-kb', 'kb-open', 'has-commands');
      return;
    }
    this.loadCommands();
    const start = this.needsStart();
    this.composer.el.classList.toggle('bot-start', start);
    this.drawKeyboard();
    this.forceReply();
  }

  /** A private chat with a bot that has no messages yet: Start instead of the input. */
  needsStart() {
    const dialog = this.dialog;
    const bot = botPeer(this.store, dialog);
    if (!bot) return false;
    const hist = this.store.history(this.chatId);
    return hist.loaded && hist.complete && hist.ids.length === 0 && !this.ctx.actions.pendingOf(this.chatId).length;
  }

  async start() {
    const bot = botPeer(this.store, this.dialog);
    if (!bot) return;
    this.startBtn.disabled = true;
    try {
      await this.ctx.actions.startBot(this.chatId, bot.id);
    } finally {
      this.startBtn.disabled = false;
    }
    this.update();
  }

  // ---- commands ----------------------------------------------------------------------------

  loadCommands() {
    const dialog = this.dialog;
    const s = this.store;
    const bots = dialog.chat.kind === 'private' ? [dialog.peer_user_id] : (s.members.get(this.chatId) || []).map((m) => m.user_id);
    const key = `${this.chatId}:${bots.filter((id) => s.users.get(id)?.is_bot).join(',')}`;
    if (key === this.commandsFor) return;
    this.commandsFor = key;
    const chatId = this.chatId;
    if (!key.split(':')[1]) { this.commands = []; this.drawMenuButton(); return; }
    this.ctx.actions.botCommands(chatId).then((list) => {
      if (chatId !== this.chatId) return;
      this.commands = list;
      this.drawMenuButton();
    });
  }

  drawMenuButton() {
    this.composer.el.classList.toggle('has-commands', this.commands.length > 0);
  }

  toggleCommands() {
    if (this.popupMode === 'commands') this.closePopup();
    else this.showCommands('');
  }

  commandText(c) {
    const dialog = this.dialog;
    const bot = this.store.users.get(c.bot);
    return dialog && dialog.chat.kind !== 'private' && bot && bot.username ? `/${c.command}@${bot.username}` : `/${c.command}`;
  }

  showCommands(prefix) {
    const q = prefix.toLowerCase();
    const list = this.commands.filter((c) => c.command.toLowerCase().startsWith(q));
    if (!list.length) { this.closePopup(); return; }
    const group = this.dialog && this.dialog.chat.kind !== 'private';
    this.popupMode = 'commands';
    this.rows = list.map((c) => ({
      el: h('div', { class: 'popup-row command', role: 'option', onmousedown: (e) => e.preventDefault(), onclick: () => this.chooseCommand(c, true) },
        group ? avatarMini(this.store, c.bot) : null,
        h('span', { class: 'cmd-name', text: `/${c.command}` }), h('span', { class: 'cmd-desc', text: c.description })),
      pick: (send) => this.chooseCommand(c, send),
    }));
    this.selected = 0;
    this.drawPopup();
  }

  chooseCommand(c, send) {
    const text = this.commandText(c);
    this.closePopup();
    if (send) {
      this.composer.setText('');
      this.ctx.actions.send(this.chatId, text, [{ type: 'bot_command', offset: 0, length: text.length }],
        this.composer.takeReply());
    } else {
      this.composer.setText(`${text} `);
    }
  }

  // ---- inline mode -------------------------------------------------------------------------

  async resolveBot(username) {
    const key = username.toLowerCase();
    if (!this.usernames.has(key)) {
      this.usernames.set(key, this.ctx.actions.resolve(username).then((u) => (u && u.is_bot ? u : null), () => null));
    }
    return this.usernames.get(key);
  }

  async runInline(bot, query) {
    const seq = ++this.inlineSeq;
    try {
      const got = await this.ctx.actions.inlineResults(this.chatId, bot.id, query);
      if (seq !== this.inlineSeq) return;
      const results = got.results || [];
      if (!results.length) { this.closePopup(); return; }
      this.popupMode = 'inline';
      this.rows = results.map((r) => {
        const title = r.title || r.type || 'Result';
        const sub = r.description || (r.input_message_content && r.input_message_content.message_text) || '';
        const pick = () => {
          this.closePopup();
          this.composer.setText('');
          this.ctx.actions.sendInlineResult(this.chatId, got.query_id, String(r.id), this.composer.takeReply());
        };
        return { el: h('div', { class: 'popup-row inline-result', role: 'option', onmousedown: (e) => e.preventDefault(), onclick: pick },
          h('div', { class: 'result-icon' }, icon(r.type === 'location' || r.type === 'venue' ? 'pin' : r.type === 'contact' ? 'person' : 'text')),
          h('div', { class: 'result-body' }, h('div', { class: 'result-title', text: title }), sub ? h('div', { class: 'result-sub', text: sub }) : null)),
        pick };
      });
      this.selected = 0;
      this.drawPopup();
    } catch (err) {
      if (seq === this.inlineSeq) this.closePopup();
    }
  }

  /** The input changed: show matching commands, or inline results for "@bot query". */
  async onInput(value) {
    const cmd = /^\/([A-Za-z0-9_]*)$/.exec(value);
    if (cmd && this.commands.length) { this.showCommands(cmd[1]); return; }
    const inline = /^@([A-Za-z][A-Za-z0-9_]{2,31}) ([\s\S]*)$/.exec(value);
    if (inline) {
      const bot = await this.resolveBot(inline[1]);
      if (bot && this.composer.input.value === value) {
        let placeholder = null;
        try { placeholder = (await this.ctx.actions.botInfo(bot.id)).bot_info?.inline_placeholder; } catch (err) { /* no info */ }
        if (placeholder) { this.askInline(bot, inline[2]); return; }
      }
    }
    if (this.popupMode) this.closePopup();
  }

  drawPopup() {
    this.popup.replaceChildren(...this.rows.map((r, i) => {
      r.el.classList.toggle('selected', i === this.selected);
      r.el.setAttribute('aria-selected', String(i === this.selected));
      return r.el;
    }));
    this.popup.classList.add('shown');
    this.popup.dataset.mode = this.popupMode;
  }

  closePopup() {
    this.popupMode = null;
    this.rows = [];
    this.inlineSeq += 1;
    this.popup.classList.remove('shown');
    this.popup.replaceChildren();
  }

  /** Keys while the popup is open; true when handled. */
  onKey(e) {
    if (!this.popupMode || !this.rows.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const n = this.rows.length;
      this.selected = (this.selected + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.drawPopup();
      this.rows[this.selected].el.scrollIntoView({ block: 'nearest' });
      return true;
    }
    if (e.key === 'Enter' && !e.shiftKey) { this.rows[this.selected].pick(true); return true; }
    if (e.key === 'Tab') { this.rows[this.selected].pick(false); return true; }
    if (e.key === 'Escape') { this.closePopup(); return true; }
    return false;
  }

  // ---- reply keyboards ---------------------------------------------------------------------

  /** The bot's latest reply keyboard in this chat (null after a remove_keyboard). */
  currentKeyboard() {
    const s = this.store;
    const hist = s.history(this.chatId);
    for (let i = hist.ids.length - 1; i >= 0; i -= 1) {
      const msg = hist.msgs.get(hist.ids[i]);
      const rm = msg.reply_markup;
      if (!rm || !s.users.get(msg.sender_id)?.is_bot) continue;
      if (rm.keyboard) return { msg, markup: rm };
      if (rm.remove_keyboard) return null;
    }
    return null;
  }

  forceReply() {
    const hist = this.store.history(this.chatId);
    const last = hist.ids.length ? hist.msgs.get(hist.ids[hist.ids.length - 1]) : null;
    if (!last || !last.reply_markup || !last.reply_markup.force_reply || this.forced.has(`${this.chatId}:${last.id}`)) return;
    if (!this.store.users.get(last.sender_id)?.is_bot) return;
    this.forced.add(`${this.chatId}:${last.id}`);
    this.composer.reply(last);
    if (last.reply_markup.input_field_placeholder) this.composer.input.placeholder = last.reply_markup.input_field_placeholder;
  }

  drawKeyboard() {
    const kb = this.needsStart() ? null : this.currentKeyboard();
    const el = this.composer.el;
    el.classList.toggle('has-kb', !!kb);
    if (!kb) {
      el.classList.remove('kb-open');
      this.keyboard.replaceChildren();
      this.composer.input.placeholder = 'Message';
      this.shownKb = null;
      return;
    }
    let state = this.kbState.get(this.chatId);
    if (!state || state.msgId !== kb.msg.id) {
      state = { msgId: kb.msg.id, hidden: false };
      this.kbState.set(this.chatId, state);
    }
    el.classList.toggle('kb-open', !state.hidden);
    this.kbToggle.setAttribute('aria-label', state.hidden ? 'Show bot keyboard' : 'Hide bot keyboard');
    this.kbToggle.classList.toggle('active', !state.hidden);
    this.composer.input.placeholder = kb.markup.input_field_placeholder || 'Message';
    const sig = JSON.stringify([kb.msg.id, kb.markup]);
    if (this.shownKb === sig) return;
    this.shownKb = sig;
    this.keyboard.classList.toggle('resize', !!kb.markup.resize_keyboard);
    this.keyboard.replaceChildren(...kb.markup.keyboard.map((row) => h('div', { class: 'kb-row' },
      row.map((b) => h('button', { type: 'button', class: 'kb-btn reply-kb-btn', onclick: () => this.pressReply(b, kb) },
        h('span', { class: 'kb-text', text: b.text }))))));
  }

  pressReply(b, kb) {
    if (b.request_contact || b.request_location) {
      confirmDialog({ title: 'Not available', text: 'Sharing your contact or location is not available in the web client yet.', ok: 'OK' });
      return;
    }
    const replyTo = this.dialog && this.dialog.chat.kind !== 'private' ? kb.msg.id : null;
    this.ctx.actions.send(this.chatId, b.text, [], this.composer.takeReply() || replyTo);
    if (kb.markup.one_time_keyboard) {
      const state = this.kbState.get(this.chatId);
      if (state) state.hidden = true;
      this.drawKeyboard();
    }
  }

  toggleKeyboard() {
    const state = this.kbState.get(this.chatId);
    if (!state) return;
    state.hidden = !state.hidden;
    this.drawKeyboard();
    if (state.hidden) this.composer.focus();
  }
}

function avatarMini(store, userId) {
  const user = store.users.get(userId);
  return h('span', { class: 'cmd-bot', text: user ? fullName(user) : '' });
}
