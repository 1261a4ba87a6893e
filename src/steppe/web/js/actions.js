// What the user does, as API calls whose answers are folded into the store.

import { toast } from './dom.js';
import { CANCELLED, Upload } from './files.js';

const PAGE = 40;

function randomId() {
  const hi = Math.floor(Math.random() * 0x1fffff);
  const lo = Math.floor(Math.random() * 0x100000000);
  return hi * 0x100000000 + lo + 1;
}

/** Files on their way into one message (or one album): their uploads and local previews. */
export class Outgoing {
  constructor(conn, entries) {
    this.entries = entries.map((e) => ({ ...e, upload: new Upload(conn, e.file) }));
  }

  toJSON() { return this.entries.map((e) => [e.kind, e.file.name, e.w, e.h]); }

  label() {
    if (this.entries.every((e) => e.kind === 'photo')) return this.entries.length > 1 ? 'Album' : 'Photo';
    return this.entries.length > 1 ? `${this.entries.length} files` : this.entries[0].file.name;
  }

  cancel() { this.entries.forEach((e) => e.upload.cancel()); }

  release() {
    setTimeout(() => this.entries.forEach((e) => { if (e.preview) URL.revokeObjectURL(e.preview); }), 15000);
  }
}

const ALBUM_MAX = 10;

export class Actions {
  constructor(conn, store, sync) {
    this.conn = conn;
    this.store = store;
    this.sync = sync;
    this.pending = new Map(); // chat id -> [{random_id, text, entities, reply_to, date, failed}]
    this.typingSent = 0;
    this.readSent = new Map();
    store.fetchUsers = (ids) => this.call('users.getUsers', { ids });
  }

  call(method, params = {}) {
    return this.conn.call(method, params);
  }

  /** Call, and show a failure as a toast; returns undefined on failure. */
  async attempt(method, params, what = '') {
    try {
      return await this.call(method, params);
    } catch (err) {
      toast(describe(err, what), 'error');
      return undefined;
    }
  }

  // ---- dialogs -------------------------------------------------------------------------------

  async loadDialogs({ reset = false } = {}) {
    const s = this.store;
    if (this.loadingDialogs) return;
    if (!reset && s.dialogsComplete) return;
    this.loadingDialogs = true;
    try {
      const params = { limit: PAGE };
      if (!reset && s.nextDialogs) Object.assign(params, s.nextDialogs);
      const page = await this.call('messages.getDialogs', params);
      s.putUsers(page.users);
      for (const dialog of page.dialogs) {
        s.putDialog(dialog);
        this.sync.known(dialog.chat.id, dialog.chat.pts);
      }
      s.nextDialogs = page.next_offset || null;
      s.dialogsComplete = !page.next_offset;
      s.dialogsLoaded = true;
      s.emit('dialogs');
    } finally {
      this.loadingDialogs = false;
    }
  }

  /** Fetch one chat's dialog, members and users (creates a private chat with a user). */
  async loadChat(peer) {
    const got = await this.call('messages.getChat', { peer });
    const s = this.store;
    s.putUsers(got.users);
    if (got.dialog) {
      s.putDialog(got.dialog);
      this.sync.known(got.dialog.chat.id, got.dialog.chat.pts);
      s.members.set(got.dialog.chat.id, got.members);
      s.emit('members', got.dialog.chat.id);
      s.emit('dialogs');
      return got.dialog.chat.id;
    }
    return null;
  }

  async refreshDialog(chatId) {
    this.refreshing = this.refreshing || new Set();
    if (this.refreshing.has(chatId)) return;
    this.refreshing.add(chatId);
    try {
      await this.loadChat({ chat_id: chatId });
      this.refreshing.delete(chatId);
    } catch (err) {
      console.warn(err);
      setTimeout(() => this.refreshing.delete(chatId), 10000); // do not hammer a failing chat
    }
  }

  // ---- history -------------------------------------------------------------------------------

  /** The newest page (first open) or the page older than what is loaded. */
  async loadHistory(chatId, { older = false } = {}) {
    const h = this.store.history(chatId);
    if (h.loading || (older && h.complete)) return [];
    h.loading = true;
    try {
      const offset = older && h.ids.length ? h.ids[0] : 0;
      // A public supergroup or channel looked at before joining: its preview.
      const preview = this.store.dialogs.get(chatId)?.preview;
      const page = await this.call(preview ? 'channels.getMessages' : 'messages.getHistory',
        { peer: { chat_id: chatId }, offset_id: offset, limit: PAGE });
      this.store.putUsers(page.users);
      if (!older) {
        // A fresh page replaces what we held: it is the one contiguous run we can vouch for.
        const keep = new Set(page.messages.map((m) => m.id));
        const newest = page.messages.length ? page.messages[0].id : 0;
        const stale = h.ids.filter((id) => !keep.has(id) && id < newest);
        for (const id of stale) h.msgs.delete(id);
        h.ids = h.ids.filter((id) => h.msgs.has(id));
      }
      if (page.messages.length < PAGE) h.complete = true;
      h.loaded = true;
      this.store.addMessages(chatId, page.messages);
      return page.messages;
    } finally {
      h.loading = false;
    }
  }

  /** Load older pages until `msgId` is in the history (for jumping to a reply). */
  async loadUntil(chatId, msgId) {
    const h = this.store.history(chatId);
    for (let i = 0; i < 20 && !h.msgs.has(msgId) && !h.complete; i += 1) {
      if (h.ids.length && h.ids[0] < msgId) break;
      await this.loadHistory(chatId, { older: true });
    }
    return h.msgs.has(msgId);
  }

  /** Fetch messages quoted by replies that are not loaded. */
  async fetchRefs(chatId, ids) {
    const want = ids.filter((id) => !this.store.message(chatId, id));
    if (!want.length) return;
    try {
      const found = await this.call('messages.getMessages', { peer: { chat_id: chatId }, ids: want });
      for (const msg of found) this.store.refs.set(`${chatId}:${msg.id}`, msg);
      for (const id of want) {
        if (!found.some((m) => m.id === id)) this.store.refs.set(`${chatId}:${id}`, { id, chat_id: chatId, deleted: true, text: '' });
      }
      this.store.ensureUsers(found.map((m) => m.sender_id));
      this.store.emit('messages', { chatId, added: [], updated: want, removed: [], refs: true });
    } catch (err) {
      console.warn(err);
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  pendingOf(chatId) {
    return this.pending.get(chatId) || [];
  }

  /**
   * Send a text message. `opts`: `silent` (no notification), `schedule_date` (unix seconds: it
   * waits on the server and is not shown in the history), `thread_id` (a forum topic).
   */
  async send(chatId, text, entities, replyTo, opts = {}) {
    if (opts.schedule_date) return this.schedule(chatId, text, entities, replyTo, opts);
    const dialog = this.store.dialogs.get(chatId);
    const item = { random_id: randomId(), text, entities, reply_to: replyTo || undefined,
      date: Math.floor(Date.now() / 1000), failed: false, chat_id: chatId,
      sender_id: dialog && dialog.chat.kind === 'channel' ? -chatId : this.store.me.id,
      silent: opts.silent || undefined, thread_id: opts.thread_id || undefined };
    this.pending.set(chatId, [...this.pendingOf(chatId), item]);
    this.store.emit('pending', chatId);
    await this.deliver(item);
  }

  async deliver(item) {
    if (item.outgoing) return this.deliverMedia(item);
    const chatId = item.chat_id;
    item.failed = false;
    this.store.emit('pending', chatId);
    const params = { peer: { chat_id: chatId }, text: item.text, entities: item.entities, random_id: item.random_id };
    if (item.reply_to) params.reply_to = item.reply_to;
    if (item.silent) params.silent = true;
    if (item.thread_id) params.thread_id = item.thread_id;
    try {
      const msg = await this.call('messages.sendMessage', params);
      this.pending.set(chatId, this.pendingOf(chatId).filter((p) => p !== item));
      if (this.store.chats.has(chatId)) this.store.addMessages(chatId, [msg]);
      const dialog = this.store.dialogs.get(chatId);
      if (dialog && (!dialog.top_message || dialog.top_message.id <= msg.id)) {
        dialog.top_message = msg;
        dialog.chat.last_date = Math.max(dialog.chat.last_date || 0, msg.date);
        this.store.emit('dialogs');
      }
    } catch (err) {
      item.failed = true;
      if (err.retryAfter && /^SLOWMODE_WAIT_/.test(err.type)) this.slowMode(chatId, err.retryAfter);
      toast(describe(err, 'The message was not sent'), 'error');
    }
    this.store.emit('pending', chatId);
  }

  /** Slow mode refused a message: remember until when, for the composer's countdown. */
  slowMode(chatId, seconds) {
    this.store.slowUntil.set(chatId, Date.now() + seconds * 1000);
    this.store.emit('slowmode', chatId);
  }

  async schedule(chatId, text, entities, replyTo, opts) {
    const params = { peer: { chat_id: chatId }, text, entities, random_id: randomId(), schedule_date: opts.schedule_date };
    if (replyTo) params.reply_to = replyTo;
    if (opts.silent) params.silent = true;
    if (opts.thread_id) params.thread_id = opts.thread_id;
    const msg = await this.attempt('messages.sendMessage', params, 'Not scheduled');
    if (msg) {
      this.store.apply({ type: 'new_scheduled', message: { ...msg, schedule_date: msg.schedule_date || opts.schedule_date } });
      toast(`Scheduled for ${new Date(opts.schedule_date * 1000).toLocaleString()}`);
    }
    return msg;
  }

  discard(item) {
    this.pending.set(item.chat_id, this.pendingOf(item.chat_id).filter((p) => p !== item));
    if (item.outgoing) { item.outgoing.cancel(); item.outgoing.release(); }
    this.store.emit('pending', item.chat_id);
  }

  /** A message the server sent back for something we sent: into the history and the chat list. */
  landed(chatId, msgs) {
    if (this.store.chats.has(chatId)) this.store.addMessages(chatId, msgs);
    const dialog = this.store.dialogs.get(chatId);
    const msg = msgs[msgs.length - 1];
    if (dialog && msg && (!dialog.top_message || dialog.top_message.id <= msg.id)) {
      dialog.top_message = msg;
      dialog.chat.last_date = Math.max(dialog.chat.last_date || 0, msg.date);
      this.store.emit('dialogs');
    }
  }

  // ---- media ---------------------------------------------------------------------------------

  /**
   * Send files: `entries` are {file, kind: 'photo' | 'document', preview?, w?, h?}. Photos and
   * documents go in separate messages; 2–10 of a kind make an album. The caption goes with the
   * first message. Each message shows at once with its uploads' progress.
   */
  async sendMedia(chatId, entries, { text = '', entities = [], replyTo = null, group = true } = {}) {
    const photos = entries.filter((e) => e.kind === 'photo');
    const docs = entries.filter((e) => e.kind !== 'photo');
    const batches = [];
    for (const list of [photos, docs]) {
      if (!group) list.forEach((e) => batches.push([e]));
      else for (let i = 0; i < list.length; i += ALBUM_MAX) batches.push(list.slice(i, i + ALBUM_MAX));
    }
    const items = batches.filter((b) => b.length).map((batch, i) => ({
      random_id: randomId(), random_ids: batch.map(randomId), text: i === 0 ? text : '', entities: i === 0 ? entities : [],
      reply_to: i === 0 && replyTo ? replyTo : undefined, date: Math.floor(Date.now() / 1000), failed: false,
      sender_id: this.store.me.id, chat_id: chatId, outgoing: new Outgoing(this.conn, batch),
    }));
    this.pending.set(chatId, [...this.pendingOf(chatId), ...items]);
    this.store.emit('pending', chatId);
    for (const item of items) await this.deliverMedia(item); // one after another, so they arrive in order
  }

  async deliverMedia(item) {
    const chatId = item.chat_id;
    if (!this.pendingOf(chatId).includes(item)) return;
    item.failed = false;
    this.store.emit('pending', chatId);
    const entries = item.outgoing.entries;
    try {
      const files = await limited(entries.map((e) => () => e.upload.run()), 2);
      if (!this.pendingOf(chatId).includes(item)) return; // cancelled meanwhile
      const sent = await this.postMedia(item, entries.map((e, k) => ({ type: e.kind, file_id: files[k].file_id })));
      this.pending.set(chatId, this.pendingOf(chatId).filter((p) => p !== item));
      item.outgoing.release();
      this.landed(chatId, sent);
    } catch (err) {
      if (err.type === CANCELLED || !this.pendingOf(chatId).includes(item)) return;
      item.failed = true;
      toast(describe(err, 'The file was not sent'), 'error');
    }
    this.store.emit('pending', chatId);
  }

  async postMedia(item, media) {
    const peer = { chat_id: item.chat_id };
    try {
      if (media.length === 1) {
        return [await this.call('messages.sendMedia', { peer, media: media[0], caption: item.text, entities: item.entities,
          reply_to: item.reply_to, random_id: item.random_id })];
      }
      return await this.call('messages.sendMultiMedia', { peer, reply_to: item.reply_to,
        multi_media: media.map((m, k) => ({ media: m, caption: k === 0 ? item.text : '', entities: k === 0 ? item.entities : [],
          random_id: item.random_ids[k] })) });
    } catch (err) {
      // An image the server cannot take as a photo (too big, odd dimensions) goes as a file.
      if (!/^PHOTO_/.test(err.type) || !media.some((m) => m.type === 'photo')) throw err;
      item.outgoing.entries.forEach((e) => { e.kind = 'document'; });
      item.random_id = randomId();
      item.random_ids = item.random_ids.map(randomId);
      return this.postMedia(item, media.map((m) => ({ ...m, type: 'document' })));
    }
  }

  cancelMedia(chatId, randomIdOf) {
    const item = this.pendingOf(chatId).find((p) => p.random_id === randomIdOf);
    if (item) this.discard(item);
  }

  /** Upload one image and make it the profile photo (or, with `chatId`, the group's). */
  async setPhoto(file, chatId = null) {
    const upload = new Upload(this.conn, file);
    const done = await upload.run();
    if (chatId) {
      await this.call('messages.editChatPhoto', { peer: { chat_id: chatId }, file_id: done.file_id });
      this.store.photos.refreshChat(chatId);
      return null;
    }
    const photo = await this.call('photos.uploadProfilePhoto', { file_id: done.file_id });
    this.store.photos.setUser(this.store.me.id, photo);
    return photo;
  }

  async removePhoto(chatId = null) {
    if (chatId) {
      await this.call('messages.editChatPhoto', { peer: { chat_id: chatId }, file_id: null });
      this.store.photos.setChat(chatId, null);
      return;
    }
    const photo = this.store.photos.users.get(this.store.me.id);
    if (!photo) return;
    await this.call('photos.deletePhotos', { ids: [photo.id] });
    this.store.photos.refreshUser(this.store.me.id);
  }

  // ---- bots ----------------------------------------------------------------------------------

  /** A bot's description and commands (bots.getBotInfo), kept for the session. */
  botInfo(userId) {
    this.botInfos = this.botInfos || new Map();
    if (!this.botInfos.has(userId)) {
      const ask = this.call('bots.getBotInfo', { user_id: userId }).then((got) => got, (err) => {
        this.botInfos.delete(userId);
        throw err;
      });
      this.botInfos.set(userId, ask);
    }
    return this.botInfos.get(userId);
  }

  /** The command menu of every bot in a chat: [{bot, command, description}]. */
  async botCommands(chatId) {
    const s = this.store;
    const dialog = s.dialogs.get(chatId);
    if (!dialog) return [];
    let bots;
    if (dialog.chat.kind === 'private') bots = [dialog.peer_user_id].filter((id) => s.users.get(id)?.is_bot);
    else bots = (s.members.get(chatId) || []).map((m) => m.user_id).filter((id) => s.users.get(id)?.is_bot);
    const lists = await Promise.all(bots.map(async (id) => {
      try {
        const params = { user_id: id };
        if (dialog.chat.kind !== 'private') params.peer = { chat_id: chatId };
        const commands = await this.call('bots.getBotCommands', params);
        return commands.map((c) => ({ bot: id, command: c.command, description: c.description }));
      } catch (err) {
        return [];
      }
    }));
    return lists.flat();
  }

  async startBot(chatId, botId, param = '') {
    const msg = await this.attempt('messages.startBot', { bot_id: botId, start_param: param || '', random_id: randomId() },
      'The bot was not started');
    if (msg) this.landed(chatId, [msg]);
    return msg;
  }

  /** Press an inline button with callback data: the bot's answer ({message, alert, url}). */
  pressButton(chatId, msgId, data) {
    return this.call('messages.getBotCallbackAnswer', { peer: { chat_id: chatId }, msg_id: msgId, data });
  }

  inlineResults(chatId, botId, query, offset = '') {
    return this.call('messages.getInlineBotResults', { bot_id: botId, query, offset, peer: { chat_id: chatId } });
  }

  async sendInlineResult(chatId, queryId, id, replyTo) {
    const msg = await this.attempt('messages.sendInlineBotResult', { peer: { chat_id: chatId }, query_id: queryId, id,
      random_id: randomId(), reply_to: replyTo || undefined }, 'Not sent');
    if (msg) this.landed(chatId, [msg]);
    return msg;
  }

  async edit(chatId, id, text, entities) {
    const msg = await this.attempt('messages.editMessage', { peer: { chat_id: chatId }, id, text, entities },
      'The message was not edited');
    if (msg) this.store.apply({ type: 'edit_message', chat_id: chatId, message: msg });
  }

  async remove(chatId, ids, revoke) {
    const gone = await this.attempt('messages.deleteMessages', { peer: { chat_id: chatId }, ids, revoke },
      'The message was not deleted');
    if (gone) this.store.dropMessages(chatId, gone);
  }

  async forward(fromChat, ids, toChat) {
    const sent = await this.attempt('messages.forwardMessages', {
      from_peer: { chat_id: fromChat }, ids, to_peer: { chat_id: toChat }, random_ids: ids.map(randomId),
    }, 'The message was not forwarded');
    if (sent && this.store.chats.has(toChat)) this.store.addMessages(toChat, sent);
    return sent;
  }

  pin(chatId, id, unpin) {
    return this.attempt('messages.updatePinnedMessage', { peer: { chat_id: chatId }, id, unpin });
  }

  /** Report the chat read up to `upto` (the newest message the user has seen). */
  async markRead(chatId, upto) {
    const dialog = this.store.dialogs.get(chatId);
    if (!dialog || document.visibilityState !== 'visible') return;
    const top = dialog.top_message ? dialog.top_message.id : dialog.chat.top_msg_id;
    const maxId = Math.min(upto || top, top);
    if (!maxId || !dialog.unread_count || dialog.read_inbox_max_id >= maxId) return;
    if ((this.readSent.get(chatId) || 0) >= maxId) return;
    this.readSent.set(chatId, maxId);
    try {
      const done = await this.call('messages.readHistory', { peer: { chat_id: chatId }, max_id: maxId });
      dialog.read_inbox_max_id = Math.max(dialog.read_inbox_max_id, done || maxId);
      this.store.recountUnread(dialog);
      this.store.emit('dialogs');
    } catch (err) {
      this.readSent.delete(chatId);
    }
  }

  typing(chatId, action = 'typing') {
    const now = Date.now();
    if (action === 'typing' && now - this.typingSent < 4500) return;
    this.typingSent = action === 'typing' ? now : 0;
    this.call('messages.setTyping', { peer: { chat_id: chatId }, action }).catch(() => {});
  }

  // ---- chats and people ----------------------------------------------------------------------

  async openUser(userId) {
    return this.loadChat({ user_id: userId });
  }

  async createGroup(title, userIds) {
    const chat = await this.call('messages.createChat', { title, user_ids: userIds });
    await this.loadChat({ chat_id: chat.id });
    return chat.id;
  }

  async addMembers(chatId, userIds) {
    await this.call('messages.addChatUser', { peer: { chat_id: chatId }, user_ids: userIds });
    await this.loadChat({ chat_id: chatId });
  }

  async removeMember(chatId, userId) {
    await this.call('messages.deleteChatUser', { peer: { chat_id: chatId }, user_id: userId });
    await this.loadChat({ chat_id: chatId });
  }

  async leave(chatId) {
    const big = this.store.isBig(this.store.dialogs.get(chatId));
    await this.call(big ? 'channels.leaveChannel' : 'messages.leaveChat', { peer: { chat_id: chatId } });
    this.store.forgetChat(chatId);
  }

  async rename(chatId, title) {
    const big = this.store.isBig(this.store.dialogs.get(chatId));
    await this.call(big ? 'channels.editTitle' : 'messages.editChatTitle', { peer: { chat_id: chatId }, title });
    const dialog = this.store.dialogs.get(chatId);
    if (dialog) { dialog.chat.title = title; this.store.emit('dialogs'); this.store.emit('chat-changed', chatId); }
  }

  async togglePin(chatId) {
    const dialog = this.store.dialogs.get(chatId);
    if (!dialog) return;
    const pinned = !dialog.pinned;
    const ok = await this.attempt('messages.toggleDialogPin', { peer: { chat_id: chatId }, pinned });
    if (ok) { dialog.pinned = pinned; this.store.emit('dialogs'); }
  }

  async searchUsers(q) {
    const query = q.trim().replace(/^@/, '');
    if (!query) return [];
    const found = await this.call('contacts.search', { q: query, limit: 20 });
    this.store.putUsers(found);
    return found;
  }

  async resolve(username) {
    const user = await this.call('contacts.resolveUsername', { username: username.trim().replace(/^@/, '') });
    this.store.putUsers([user]);
    return user;
  }
}

/** Run async jobs, at most `n` at once; resolves to their results in order. */
async function limited(jobs, n) {
  const out = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

const MESSAGES = {
  NETWORK_ERROR: 'No connection to the server',
  PEER_ID_INVALID: 'This chat is not available',
  USERNAME_NOT_OCCUPIED: 'Nobody has this username',
  USERNAME_INVALID: 'This username is not valid',
  USERNAME_OCCUPIED: 'This username is already taken',
  USER_ALREADY_PARTICIPANT: 'Already a member',
  CHAT_ADMIN_REQUIRED: 'Only an admin can do that',
  MESSAGE_DELETE_FORBIDDEN: 'You cannot delete this message for everyone',
  MESSAGE_EDIT_TIME_EXPIRED: 'It is too late to edit this message',
  MESSAGE_TOO_LONG: 'The message is too long',
  MESSAGE_EMPTY: 'The message is empty',
  MESSAGE_NOT_MODIFIED: 'Nothing was changed',
  CHAT_TITLE_EMPTY: 'Enter a group name',
  PASSWORD_HASH_INVALID: 'Wrong password',
  PHONE_CODE_INVALID: 'Invalid code',
  PHONE_CODE_EXPIRED: 'The code has expired: ask for a new one',
  PHONE_NUMBER_INVALID: 'Invalid phone number',
  FIRSTNAME_INVALID: 'Enter your name',
  USERS_TOO_MUCH: 'Too many members',
  FILE_EMPTY: 'The file is empty',
  FILE_TOO_BIG: 'The file is too big',
  PHOTO_INVALID: 'This image cannot be sent as a photo',
  PHOTO_INVALID_DIMENSIONS: 'The image is too large',
  PHOTO_TOO_BIG: 'The photo is too big',
  UPLOADS_TOO_MANY: 'Too many uploads at once',
  STORAGE_FULL: 'The server has no room for this file',
  BOT_RESPONSE_TIMEOUT: 'The bot did not answer',
  DATA_INVALID: 'This button no longer works',
  START_PARAM_INVALID: 'Invalid start parameter',
  BOT_INLINE_DISABLED: 'This bot has no inline mode',
  CHAT_WRITE_FORBIDDEN: 'You cannot write here',
  CHAT_SEND_MEDIA_FORBIDDEN: 'Sending media is not allowed here',
  CHAT_SEND_POLL_FORBIDDEN: 'Sending polls is not allowed here',
  CHAT_SEND_LINKS_FORBIDDEN: 'Sending links is not allowed here',
  USER_BANNED_IN_CHANNEL: 'You are banned from this chat',
  INVITE_HASH_INVALID: 'This invite link is not valid',
  INVITE_HASH_EXPIRED: 'This invite link has expired',
  INVITE_REQUEST_SENT: 'Your request to join was sent to the admins',
  CHANNEL_INVALID: 'This channel is not available',
  CHANNEL_PRIVATE: 'This channel is private',
  USER_CREATOR: 'The owner cannot do that',
  USER_ADMIN_INVALID: 'Admins cannot be restricted',
  USER_NOT_PARTICIPANT: 'Not a member',
  RIGHT_FORBIDDEN: 'You cannot grant rights you do not have',
  ADMIN_RANK_INVALID: 'The admin title is not valid',
  REACTION_INVALID: 'This reaction is not allowed here',
  REACTIONS_TOO_MANY: 'Too many reactions',
  MESSAGE_POLL_CLOSED: 'The poll is closed',
  REVOTE_NOT_ALLOWED: 'A quiz answer cannot be changed',
  POLL_QUESTION_INVALID: 'Enter a question',
  POLL_ANSWERS_INVALID: 'A poll needs 2 to 10 options',
  POLL_OPTION_INVALID: 'Poll options must be different and not empty',
  QUIZ_CORRECT_ANSWERS_EMPTY: 'Pick the correct answer',
  BROADCAST_PUBLIC_VOTERS_FORBIDDEN: 'Polls in channels are anonymous',
  SCHEDULE_DATE_INVALID: 'Pick a time in the future',
  SCHEDULE_DATE_TOO_LATE: 'That is too far ahead',
  SCHEDULE_TOO_MUCH: 'Too many scheduled messages',
  TOPIC_CLOSED: 'This topic is closed',
  TOPIC_TITLE_INVALID: 'Enter a topic name',
  CHAT_ABOUT_TOO_LONG: 'The description is too long',
  CHAT_NOT_MODIFIED: 'Nothing was changed',
  CHAT_ABOUT_NOT_MODIFIED: 'Nothing was changed',
  USERNAME_NOT_MODIFIED: 'Nothing was changed',
  USAGE_LIMIT_INVALID: 'A link that needs approval has no usage limit',
  EXPIRE_DATE_INVALID: 'Pick a date in the future',
  OPERATOR_REQUIRED: 'Only operators can see this',
  SEARCH_QUERY_TOO_SHORT: 'Type at least 3 characters',
};

export function describe(err, what = '') {
  if (err && err.type && err.type.startsWith('FLOOD_WAIT_')) {
    return `Too many attempts: wait ${err.type.slice(11)} seconds`;
  }
  if (err && err.type && err.type.startsWith('SLOWMODE_WAIT_')) {
    const wait = err.type.slice(14);
    return what ? `${what}: slow mode is on, wait ${wait} s` : `Slow mode is on: wait ${wait} s`;
  }
  const text = (err && MESSAGES[err.type]) || (err && err.type ? err.type.replace(/_/g, ' ').toLowerCase() : 'Something went wrong');
  return what ? `${what}: ${text}` : text;
}
