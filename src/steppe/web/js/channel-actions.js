// What the user does in supergroups and channels, and with what every chat gained with them
// (reactions, polls, several pins, scheduled messages, threads, views, search, statistics). The
// methods join `Actions` (actions.js); answers are folded into the store as events would be.

import { Actions, describe } from './actions.js';
import { toast } from './dom.js';

function randomId() {
  const hi = Math.floor(Math.random() * 0x1fffff);
  const lo = Math.floor(Math.random() * 0x100000000);
  return hi * 0x100000000 + lo + 1;
}

const peer = (chatId) => ({ chat_id: chatId });

Object.assign(Actions.prototype, {
  // ---- supergroups and channels ------------------------------------------------------------

  /** The chat's settings and this user's standing (channels.getFullChannel), shared while asked. */
  fullChannel(chatId, { force = false } = {}) {
    this.fullAsked = this.fullAsked || new Map();
    if (!force && this.store.full.has(chatId)) return Promise.resolve(this.store.full.get(chatId));
    if (this.fullAsked.has(chatId)) return this.fullAsked.get(chatId);
    const ask = this.call('channels.getFullChannel', { peer: peer(chatId) }).then((got) => {
      this.putFull(got);
      return this.store.full.get(chatId);
    }).finally(() => this.fullAsked.delete(chatId));
    this.fullAsked.set(chatId, ask);
    return ask;
  },

  putFull(got) {
    const s = this.store;
    const chatId = got.chat.id;
    s.full.set(chatId, { info: got.info, me: got.me, chat: got.chat });
    s.chatTitles.set(chatId, got.chat.title);
    const dialog = s.dialogs.get(chatId);
    if (dialog) {
      dialog.chat = { ...dialog.chat, title: got.chat.title, member_count: got.chat.member_count };
      s.emit('dialogs');
    }
    s.emit('chat-info', chatId);
    s.emit('chat-changed', chatId);
  },

  /** Create a channel (`broadcast`) or a supergroup; public with `username`; with a discussion group. */
  async createChannel({ title, about = '', broadcast, forum = false, username = '', discussion = false }) {
    const chat = await this.call('channels.createChannel', { title, about, broadcast, megagroup: !broadcast, forum });
    if (username) {
      try {
        await this.call('channels.updateUsername', { peer: peer(chat.id), username });
      } catch (err) {
        toast(describe(err, 'The link was not set'), 'error');
      }
    }
    if (discussion && broadcast) await this.addDiscussion(chat.id, title, username);
    await this.loadChat(peer(chat.id));
    return chat.id;
  },

  /** Make a supergroup for a channel's comments and link it (public when the channel is). */
  async addDiscussion(channelId, title, username = '') {
    const group = await this.call('channels.createChannel', { title: `${title} Chat`.slice(0, 128), megagroup: true });
    if (username) {
      const name = `${username}_chat`.slice(0, 32);
      await this.call('channels.updateUsername', { peer: peer(group.id), username: name }).catch(() => {});
    }
    await this.call('channels.setDiscussionGroup', { broadcast: peer(channelId), group: peer(group.id) });
    this.fullChannel(channelId, { force: true }).catch(() => {});
    return group.id;
  },

  /** A public supergroup or channel by its username: {chat, info, me}. */
  async resolveChannel(username) {
    const got = await this.call('channels.resolveUsername', { username: username.trim().replace(/^@/, '') });
    this.putFull(got);
    return got;
  },

  /**
   * Show a chat this user is not in (a public one, found by username or search) as a preview
   * dialog: it is not in the chat list, its history comes from channels.getMessages.
   */
  async preview(chatId) {
    const s = this.store;
    if (s.dialogs.has(chatId) && !s.dialogs.get(chatId).preview) return chatId;
    const got = await this.call('channels.getFullChannel', { peer: peer(chatId) });
    if (['creator', 'admin', 'member', 'restricted'].includes(got.me.status)) {
      await this.loadChat(peer(chatId));
      this.putFull(got);
      return chatId;
    }
    s.putDialog({ chat: got.chat, top_message: null, unread_count: 0 });
    s.dialogs.get(chatId).preview = true;
    this.putFull(got);
    return chatId;
  },

  async join(chatId) {
    await this.call('channels.joinChannel', { peer: peer(chatId) });
    const dialog = this.store.dialogs.get(chatId);
    if (dialog) dialog.preview = false;
    await this.loadChat(peer(chatId));
    await this.fullChannel(chatId, { force: true });
    this.store.emit('joined', chatId);
    return chatId;
  },

  async checkInvite(hash) {
    return this.call('messages.checkChatInvite', { hash });
  },

  /** Join by an invite link; null when the link needs an admin's approval (the request is sent). */
  async importInvite(hash) {
    try {
      const chat = await this.call('messages.importChatInvite', { hash });
      await this.loadChat(peer(chat.id));
      return chat.id;
    } catch (err) {
      if (err.type === 'INVITE_REQUEST_SENT') return null;
      throw err;
    }
  },

  participants(chatId, { filter = 'recent', q = '', offset = 0, limit = 50 } = {}) {
    return this.call('channels.getParticipants', { peer: peer(chatId), filter, q, offset, limit }).then((got) => {
      this.store.putUsers(got.users);
      return got;
    });
  },

  editAdmin(chatId, userId, rights, rank = '') {
    return this.call('channels.editAdmin', { peer: peer(chatId), user_id: userId, admin_rights: rights, rank });
  },

  editBanned(chatId, userId, rights, untilDate = 0) {
    return this.call('channels.editBanned', { peer: peer(chatId), user_id: userId, banned_rights: rights, until_date: untilDate });
  },

  async inviteToChannel(chatId, userIds) {
    await this.call('channels.inviteToChannel', { peer: peer(chatId), user_ids: userIds });
    this.fullChannel(chatId, { force: true }).catch(() => {});
  },

  async migrate(chatId) {
    const chat = await this.call('messages.migrateChat', { peer: peer(chatId) });
    await this.loadChat(peer(chat.id));
    return chat.id;
  },

  // ---- reactions -------------------------------------------------------------------------

  /** Set this user's reactions on a message ([] removes them). */
  async react(chatId, msgId, reactions) {
    const key = `${chatId}:${msgId}`;
    const before = this.store.chosen.get(key);
    this.store.chosen.set(key, reactions);
    try {
      const got = await this.call('messages.sendReaction', { peer: peer(chatId), msg_id: msgId, reaction: reactions });
      this.store.chosen.set(key, got.chosen);
      this.store.patchMessage(chatId, msgId, { reactions: got.reactions });
    } catch (err) {
      if (before) this.store.chosen.set(key, before); else this.store.chosen.delete(key);
      this.store.patchMessage(chatId, msgId, {});
      toast(describe(err, 'No reaction'), 'error');
    }
  },

  /** Learn which reactions this user set on messages shown with reactions (batched). */
  needChosen(chatId, id) {
    const key = `${chatId}:${id}`;
    this.chosenAsked = this.chosenAsked || new Set();
    if (this.store.chosen.has(key) || this.chosenAsked.has(key)) return;
    this.chosenAsked.add(key);
    this.chosenQueue = this.chosenQueue || new Map();
    if (!this.chosenQueue.has(chatId)) this.chosenQueue.set(chatId, []);
    this.chosenQueue.get(chatId).push(id);
    if (this.chosenTimer) return;
    this.chosenTimer = setTimeout(() => {
      this.chosenTimer = null;
      const queue = this.chosenQueue;
      this.chosenQueue = new Map();
      for (const [chat, ids] of queue) {
        this.call('messages.getMessagesReactions', { peer: peer(chat), ids: ids.slice(0, 100) }).then((list) => {
          for (const r of list) this.store.chosen.set(`${chat}:${r.id}`, r.chosen || []);
          for (const r of list) if ((r.chosen || []).length) this.store.patchMessage(chat, r.id, {});
        }, () => {});
      }
    }, 30);
  },

  reactors(chatId, msgId, offset = '') {
    return this.call('messages.getMessageReactionsList', { peer: peer(chatId), id: msgId, offset, limit: 50 }).then((got) => {
      this.store.putUsers(got.users);
      return got;
    });
  },

  // ---- polls -------------------------------------------------------------------------------

  sendPoll(chatId, poll, { replyTo = null, silent = false, scheduleDate = null, threadId = null } = {}) {
    const params = { peer: peer(chatId), poll, random_id: randomId() };
    if (replyTo) params.reply_to = replyTo;
    if (silent) params.silent = true;
    if (scheduleDate) params.schedule_date = scheduleDate;
    if (threadId) params.thread_id = threadId;
    return this.call('messages.sendPoll', params).then((msg) => {
      if (msg.schedule_date) this.store.apply({ type: 'new_scheduled', message: msg });
      else this.landed(chatId, [msg]);
      return msg;
    });
  },

  /** This user's answer to a poll (asked once per message shown). */
  needPollResults(chatId, msgId) {
    const key = `${chatId}:${msgId}`;
    this.pollAsked = this.pollAsked || new Set();
    if (this.store.pollChosen.has(key) || this.pollAsked.has(key)) return;
    this.pollAsked.add(key);
    this.call('messages.getPollResults', { peer: peer(chatId), msg_id: msgId }).then((got) => this.putPoll(chatId, msgId, got),
      () => { this.store.pollChosen.set(key, []); });
  },

  putPoll(chatId, msgId, got) {
    const s = this.store;
    s.pollChosen.set(`${chatId}:${msgId}`, got.chosen || []);
    const poll = got.poll;
    if (poll.correct_option_id !== undefined && poll.correct_option_id !== null) {
      s.pollSecrets.set(poll.id, { correct_option_id: poll.correct_option_id, explanation: poll.explanation });
    }
    s.patchMessage(chatId, msgId, { poll });
  },

  async vote(chatId, msgId, options) {
    try {
      const got = await this.call('messages.sendVote', { peer: peer(chatId), msg_id: msgId, options });
      this.putPoll(chatId, msgId, got);
    } catch (err) {
      toast(describe(err, 'The vote was not counted'), 'error');
    }
  },

  async closePoll(chatId, msgId) {
    try {
      this.putPoll(chatId, msgId, await this.call('messages.closePoll', { peer: peer(chatId), msg_id: msgId }));
    } catch (err) {
      toast(describe(err, 'The poll was not stopped'), 'error');
    }
  },

  pollVotes(chatId, msgId, option = null, offset = '') {
    const params = { peer: peer(chatId), id: msgId, offset, limit: 50 };
    if (option !== null) params.option = option;
    return this.call('messages.getPollVotes', params).then((got) => {
      this.store.putUsers(got.users);
      return got;
    });
  },

  // ---- views, forwards and comment counts -------------------------------------------------

  /** Ask the counters of posts on screen; `increment` counts this user's view (once per post). */
  async refreshViews(chatId, ids, increment = true) {
    const want = [...new Set(ids)].filter((id) => id > 0).slice(0, 100);
    if (!want.length) return;
    let got;
    try {
      got = await this.call('messages.getMessagesViews', { peer: peer(chatId), ids: want, increment });
    } catch (err) {
      return;
    }
    for (const v of got) {
      const msg = this.store.message(chatId, v.id);
      if (!msg) continue;
      const replies = msg.replies ? { ...msg.replies, count: v.replies } : null;
      const same = (msg.views || 0) === v.views && (msg.forwards || 0) === v.forwards
        && (!msg.replies || (msg.replies.count || 0) === v.replies);
      if (!same) this.store.patchMessage(chatId, v.id, { views: v.views, forwards: v.forwards, ...(replies ? { replies } : {}) });
    }
  },

  // ---- pins --------------------------------------------------------------------------------

  async loadPins(chatId) {
    try {
      const got = await this.call('messages.getPinnedMessages', { peer: peer(chatId) });
      this.store.putUsers(got.users);
      for (const msg of got.messages) {
        if (!this.store.message(chatId, msg.id)) this.store.refs.set(`${chatId}:${msg.id}`, msg);
      }
      this.store.pins.set(chatId, got.messages.map((m) => m.id).sort((a, b) => b - a));
      this.store.emit('pinned', chatId);
    } catch (err) {
      console.warn(err);
    }
  },

  // ---- threads: comments and forum topics --------------------------------------------------

  replies(chatId, msgId, offsetId = 0, limit = 50) {
    return this.call('messages.getReplies', { peer: peer(chatId), msg_id: msgId, offset_id: offsetId, limit }).then((got) => {
      this.store.putUsers(got.users);
      return got;
    });
  },

  async loadTopics(chatId) {
    const got = await this.call('messages.getForumTopics', { peer: peer(chatId), limit: 100 });
    this.store.topics.set(chatId, new Map(got.topics.map((t) => [t.id, t])));
    this.store.emit('topics', chatId);
    return got.topics;
  },

  async createTopic(chatId, title, iconColor = 0) {
    const topic = await this.call('messages.createForumTopic', { peer: peer(chatId), title, icon_color: iconColor });
    this.store.apply({ type: 'forum_topic', chat_id: chatId, topic });
    return topic;
  },

  async editTopic(chatId, topicId, changes) {
    const method = 'pinned' in changes ? 'messages.updatePinnedForumTopic' : 'messages.editForumTopic';
    const topic = await this.attempt(method, { peer: peer(chatId), topic_id: topicId, ...changes }, 'The topic was not changed');
    if (topic) this.store.apply({ type: 'forum_topic', chat_id: chatId, topic });
    return topic;
  },

  // ---- scheduled messages ------------------------------------------------------------------

  async loadScheduled(chatId) {
    const got = await this.call('messages.getScheduledHistory', { peer: peer(chatId) });
    this.store.putUsers(got.users);
    this.store.scheduled.set(chatId, new Map(got.messages.map((m) => [m.id, m])));
    this.store.emit('scheduled', chatId);
    return got.messages;
  },

  async editScheduled(chatId, id, changes) {
    const msg = await this.attempt('messages.editScheduledMessage', { peer: peer(chatId), id, ...changes }, 'Not changed');
    if (msg) this.store.apply({ type: 'new_scheduled', message: msg });
    return msg;
  },

  async sendScheduledNow(chatId, ids) {
    const sent = await this.attempt('messages.sendScheduledMessages', { peer: peer(chatId), ids }, 'Not sent');
    if (sent) {
      this.store.apply({ type: 'delete_scheduled', chat_id: chatId, ids, sent: true });
      this.landed(chatId, sent);
    }
    return sent;
  },

  async deleteScheduled(chatId, ids) {
    const ok = await this.attempt('messages.deleteScheduledMessages', { peer: peer(chatId), ids }, 'Not cancelled');
    if (ok) this.store.apply({ type: 'delete_scheduled', chat_id: chatId, ids });
    return ok;
  },

  // ---- search and the directory ------------------------------------------------------------

  searchChat(chatId, q, offsetId = 0) {
    return this.call('messages.search', { peer: peer(chatId), q, offset_id: offsetId, limit: 30 }).then((got) => {
      this.store.putUsers(got.users);
      return got;
    });
  },

  searchGlobal(q, offset = null) {
    return this.call('messages.searchGlobal', { q, limit: 20, ...(offset || {}) }).then((got) => {
      this.store.putUsers(got.users);
      for (const chat of got.chats) this.store.chatTitles.set(chat.id, chat.title);
      return got;
    });
  },

  searchDirectory(q) {
    return this.call('contacts.searchDirectory', { q: q.trim().replace(/^@/, ''), limit: 20 }).then((got) => {
      this.store.putUsers(got.users);
      for (const c of got.chats) this.store.chatTitles.set(c.chat.id, c.chat.title);
      return got;
    });
  },

  // ---- the operator's statistics -----------------------------------------------------------

  async isOperator() {
    try {
      return !!(await this.call('stats.getRole', {})).operator;
    } catch (err) {
      return false;
    }
  },
});

export { randomId };
