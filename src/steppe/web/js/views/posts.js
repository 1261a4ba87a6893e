// What a message gained with supergroups and channels, as bubble parts (views/messages.js):
// reactions under the text (this user's highlighted; a click sets or takes back one), polls and
// quizzes (vote, live results, the quiz's answer and explanation), and under a channel post the
// comments button (the discussion thread). Also the reaction strip of the message menu, the
// "who reacted" and "who voted" lists, and the dialog that makes a poll.

import { describe } from '../actions.js';
import { append, closeMenu, h, icon, modal, replace, toast } from '../dom.js';
import { plural } from '../format.js';
import { userRow } from './common.js';
import { registerBubblePart, sigParts } from './messages.js';
import './media.js'; // its parts (media, attachment) and the bots' (inline-keyboard) come first: ours go after them
import './bots.js';

// The reactions every chat allows unless it chose some (the server's standard set, first ones).
export const STANDARD_REACTIONS = ['👍', '👎', '❤', '🔥', '🥰', '👏', '😁', '🤔', '🤯', '😱', '🤬', '😢', '🎉', '🤩', '🤮',
  '💩', '🙏', '👌', '🕊', '🤡', '🥱', '🥴', '😍', '🐳', '❤‍🔥', '🌚', '🌭', '💯', '🤣', '⚡', '🍌', '🏆', '💔', '🤨', '😐',
  '🍓', '🍾', '💋', '😈', '😴', '😭', '🤓', '👻', '👀', '🎃', '🙈', '😇', '😨', '🤝', '✍', '🤗', '🫡', '🎅', '🎄', '☃',
  '💅', '🤪', '🗿', '🆒', '💘', '🦄', '😘', '😎', '👾', '🤷', '😡'];

registerBubblePart({ id: 'poll', render: pollPart }, 'media');
registerBubblePart({ id: 'reactions', render: reactionsPart }, 'attachment');
registerBubblePart({ id: 'comments', outside: true, render: commentsPart }, 'inline-keyboard');

const keyOf = (msg) => `${msg.chat_id}:${msg.id}`;
sigParts.push((msg, store) => (msg.reactions && msg.reactions.length ? store.chosen.get(keyOf(msg)) || null : null));
sigParts.push((msg, store) => (msg.poll ? [store.pollChosen.get(keyOf(msg)) || null, store.pollSecrets.get(msg.poll.id) || null] : null));
sigParts.push((msg, store) => (msg.poll || (msg.reactions || []).length ? store.isMember(msg.chat_id) : null)); // joining enables them

/** The reactions a chat allows (its chosen set, or the standard ones) and how many per user. */
export function allowedReactions(store, chatId) {
  const info = store.info(chatId);
  return { list: (info && info.available_reactions) || STANDARD_REACTIONS, limit: (info && info.reactions_limit) || 1 };
}

/** Set or take back one reaction, within the chat's per-user limit. */
export function toggleReaction(ctx, chatId, msg, reaction) {
  const s = ctx.store;
  if (!s.isMember(chatId)) { toast('Join to react', 'error'); return; }
  const mine = s.chosen.get(`${chatId}:${msg.id}`) || [];
  const { limit } = allowedReactions(s, chatId);
  let next;
  if (mine.includes(reaction)) next = mine.filter((r) => r !== reaction);
  else next = limit <= 1 ? [reaction] : [...mine, reaction].slice(-limit);
  ctx.actions.react(chatId, msg.id, next);
}

// ---- reactions under a message -----------------------------------------------------------------

function reactionsPart(msg, view) {
  const list = msg.reactions || [];
  if (!list.length || msg.pending) return null;
  const s = view.store;
  const key = keyOf(msg);
  const mine = s.chosen.get(key);
  if (mine === undefined && s.isMember(msg.chat_id)) view.ctx.actions.needChosen(msg.chat_id, msg.id);
  return h('div', { class: 'reactions' }, list.map((r) => h('button', {
    type: 'button', class: `reaction ${(mine || []).includes(r.reaction) ? 'chosen' : ''}`.trim(),
    'aria-label': `${r.reaction} ${r.count}`, title: (mine || []).includes(r.reaction) ? 'Take back your reaction' : 'React',
    dataset: { reaction: r.reaction },
    onclick: (e) => { e.stopPropagation(); toggleReaction(view.ctx, msg.chat_id, msg, r.reaction); },
  }, h('span', { class: 'reaction-emoji', text: r.reaction }), h('span', { class: 'reaction-count', text: String(r.count) }))));
}

/** The row of reactions on top of a message's menu ("more" shows all the chat allows). */
export function reactionStrip(ctx, chatId, msg) {
  const s = ctx.store;
  const { list } = allowedReactions(s, chatId);
  const mine = s.chosen.get(`${chatId}:${msg.id}`) || [];
  const strip = h('div', { class: 'reaction-strip', role: 'group', 'aria-label': 'Reactions' });
  const draw = (all) => {
    const shown = all ? list : list.slice(0, 7);
    replace(strip, shown.map((r) => h('button', {
      type: 'button', role: 'menuitem', class: `strip-btn ${mine.includes(r) ? 'chosen' : ''}`.trim(), 'aria-label': `React ${r}`, text: r,
      onclick: (e) => { e.stopPropagation(); closeMenu(); toggleReaction(ctx, chatId, msg, r); },
    })), !all && list.length > 7 ? h('button', { type: 'button', class: 'strip-btn strip-more', 'aria-label': 'More reactions',
      onclick: (e) => { e.stopPropagation(); strip.classList.add('all'); draw(true); } }, icon('chevron')) : null);
  };
  draw(false);
  return strip;
}

/** Who reacted how (groups and private chats; a channel's readers stay anonymous). */
export async function reactorsDialog(ctx, chatId, msg) {
  const m = modal({ title: 'Reactions', cls: 'picker' });
  const list = h('div', { class: 'picker-results' });
  const more = h('button', { type: 'button', class: 'btn-link', text: 'Show more', hidden: true });
  m.body.append(list, more);
  let offset = '';
  const page = async () => {
    try {
      const got = await ctx.actions.reactors(chatId, msg.id, offset);
      list.append(...got.reactions.map((r) => userRow(ctx.store, ctx.store.user(r.user_id) || { id: r.user_id, first_name: '…' },
        { extra: [h('span', { class: 'reactor-emoji', text: r.reaction })] })));
      offset = got.next_offset || '';
      more.hidden = !offset;
      if (!list.childElementCount) list.append(h('div', { class: 'picker-status', text: 'No reactions yet' }));
    } catch (err) {
      list.append(h('div', { class: 'picker-status', text: describe(err) }));
    }
  };
  more.addEventListener('click', page);
  page();
}

// ---- polls ---------------------------------------------------------------------------------

function pollOf(msg, store) {
  const secret = store.pollSecrets.get(msg.poll.id);
  const poll = msg.poll;
  if (secret && (poll.correct_option_id === undefined || poll.correct_option_id === null)) return { ...poll, ...secret };
  return poll;
}

function pollPart(msg, view) {
  if (!msg.poll) return null;
  const s = view.store;
  const chatId = msg.chat_id;
  const key = keyOf(msg);
  const chosen = s.pollChosen.get(key);
  if (chosen === undefined && !msg.pending && s.isMember(chatId)) view.ctx.actions.needPollResults(chatId, msg.id);
  const poll = pollOf(msg, s);
  const anonymous = poll.is_anonymous !== false; // the server leaves out fields at their default
  const quiz = poll.type === 'quiz';
  const voted = !!(chosen && chosen.length);
  const results = voted || poll.is_closed;
  const total = poll.total_voter_count || 0;
  view.bubbleClasses.push('has-poll');
  let kind = `${anonymous ? 'Anonymous' : 'Public'} ${quiz ? 'Quiz' : 'Poll'}`;
  if (poll.allows_multiple_answers) kind += ' · multiple answers';
  if (poll.is_closed) kind = 'Final results';
  const box = h('div', { class: `poll ${results ? 'results' : 'voting'}`, dataset: { msgId: String(msg.id) } },
    h('div', { class: 'poll-q', text: poll.question }), h('div', { class: 'poll-kind', text: kind }));
  const canVote = !msg.pending && !poll.is_closed && s.isMember(chatId);
  if (!results) {
    if (poll.allows_multiple_answers) {
      const boxes = poll.options.map(() => h('input', { type: 'checkbox' }));
      const send = h('button', { type: 'button', class: 'btn-small poll-vote', text: 'Vote', disabled: true,
        onclick: (e) => { e.stopPropagation(); view.ctx.actions.vote(chatId, msg.id, boxes.map((b, i) => (b.checked ? i : -1)).filter((i) => i >= 0)); } });
      boxes.forEach((b) => b.addEventListener('change', () => { send.disabled = !boxes.some((x) => x.checked); }));
      append(box, [poll.options.map((o, i) => h('label', { class: 'poll-choice check' }, boxes[i], h('span', { text: o.text }))),
        canVote ? send : null]);
    } else {
      box.append(...poll.options.map((o, i) => h('button', { type: 'button', class: 'poll-option', disabled: !canVote,
        onclick: (e) => { e.stopPropagation(); view.ctx.actions.vote(chatId, msg.id, [i]); } },
      h('span', { class: 'poll-radio' }), h('span', { class: 'poll-option-text', text: o.text }))));
    }
  } else {
    box.append(...poll.options.map((o, i) => {
      const count = o.voter_count || 0;
      const share = total ? Math.round(count * 100 / total) : 0;
      const mine = (chosen || []).includes(i);
      let cls = mine ? 'mine' : '';
      if (quiz && poll.correct_option_id === i) cls += ' correct';
      else if (quiz && mine) cls += ' wrong';
      const bar = h('div', { class: 'poll-bar' });
      bar.style.width = `calc((100% - 46px) * ${Math.max(share, 1) / 100})`;
      return h('div', { class: `poll-opt ${cls}`.trim(), title: plural(count, 'vote') },
        h('span', { class: 'poll-pct', text: `${share}%` }),
        h('span', { class: 'poll-opt-text' }, o.text, mine ? icon('tick', 'poll-mine') : null), bar);
    }));
    if (quiz && poll.explanation) box.append(h('div', { class: 'poll-explanation' }, icon('info'), h('span', { text: poll.explanation })));
  }
  const foot = h('div', { class: 'poll-total' }, h('span', { text: total ? plural(total, quiz ? 'answer' : 'vote') : (quiz ? 'No answers yet' : 'No votes yet') }));
  if (results && !anonymous) {
    foot.append(h('button', { type: 'button', class: 'btn-link poll-voters', text: 'View votes',
      onclick: (e) => { e.stopPropagation(); votersDialog(view.ctx, chatId, msg, poll); } }));
  }
  box.append(foot);
  return box;
}

async function votersDialog(ctx, chatId, msg, poll) {
  const m = modal({ title: 'Poll results', cls: 'picker' });
  m.body.append(h('p', { class: 'picker-help', text: poll.question }));
  for (const [i, o] of poll.options.entries()) {
    const rows = h('div', { class: 'picker-results' });
    m.body.append(h('div', { class: 'section-title', text: `${o.text} — ${plural(o.voter_count || 0, 'vote')}` }), rows);
    ctx.actions.pollVotes(chatId, msg.id, i).then((got) => {
      replace(rows, got.votes.map((v) => userRow(ctx.store, ctx.store.user(v.user_id) || { id: v.user_id, first_name: '…' }, {})));
    }, (err) => replace(rows, h('div', { class: 'picker-status', text: describe(err) })));
  }
}

/** May this user stop the poll? Its sender; in a channel an admin who may edit posts. */
export function canClosePoll(store, chatId, msg) {
  const dialog = store.dialogs.get(chatId);
  if (!msg.poll || msg.poll.is_closed || !dialog) return false;
  if (dialog.chat.kind === 'channel') return store.hasRight(chatId, 'edit_messages');
  return msg.sender_id === store.me.id;
}

/** Make a poll: question, 2–10 options, anonymous or public, multiple answers, or a quiz. */
export function pollDialog(ctx, chatId, { threadId = null } = {}) {
  const s = ctx.store;
  const channel = s.dialogs.get(chatId)?.chat.kind === 'channel';
  const m = modal({ title: 'New Poll', cls: 'poll-dialog' });
  const question = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'Ask a question', 'aria-label': 'Question', maxLength: 255 });
  const options = h('div', { class: 'poll-options-edit' });
  const correct = [];
  const addOption = (value = '') => {
    if (options.childElementCount >= 10) return;
    const radio = h('input', { type: 'radio', name: 'poll-correct', class: 'poll-correct', 'aria-label': 'Correct answer' });
    const input = h('input', { class: 'picker-input title-input poll-option-input', type: 'text', placeholder: 'Option', 'aria-label': 'Option', maxLength: 100, value,
      oninput: () => { if (input === options.lastElementChild?.querySelector('.poll-option-input') && input.value) addOption(); } });
    const row = h('div', { class: 'poll-option-row' }, radio, input,
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Remove option', onclick: () => { if (options.childElementCount > 2) row.remove(); } }, icon('close')));
    correct.push(radio);
    options.append(row);
  };
  addOption();
  addOption();
  const anonymous = h('input', { type: 'checkbox', checked: true, disabled: channel });
  const multiple = h('input', { type: 'checkbox' });
  const quiz = h('input', { type: 'checkbox' });
  const explanation = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'Explanation (optional)', 'aria-label': 'Explanation', maxLength: 200 });
  const quizBox = h('div', { class: 'quiz-extra', hidden: true }, h('p', { class: 'hint', text: 'Pick the correct answer with the circle beside it.' }), explanation);
  quiz.addEventListener('change', () => {
    m.el.classList.toggle('quiz-mode', quiz.checked);
    quizBox.hidden = !quiz.checked;
    if (quiz.checked) multiple.checked = false;
    multiple.disabled = quiz.checked;
  });
  const create = h('button', { type: 'button', class: 'btn-primary', text: 'Create', onclick: async () => {
    const answers = [...options.querySelectorAll('.poll-option-input')].map((i) => i.value.trim());
    const picked = [...options.querySelectorAll('.poll-option-row')].findIndex((r) => r.querySelector('.poll-correct').checked);
    const filled = answers.map((a, i) => [a, i]).filter(([a]) => a);
    const poll = { question: question.value.trim(), answers: filled.map(([a]) => a), multiple_choice: multiple.checked,
      public_voters: !anonymous.checked && !channel };
    if (quiz.checked) {
      const at = filled.findIndex(([, i]) => i === picked);
      if (at < 0) { toast('Pick the correct answer', 'error'); return; }
      poll.quiz = true;
      poll.correct_answer = at;
      if (explanation.value.trim()) poll.explanation = explanation.value.trim();
    }
    if (!poll.question) { question.focus(); toast('Enter a question', 'error'); return; }
    if (poll.answers.length < 2) { toast('A poll needs at least 2 options', 'error'); return; }
    create.disabled = true;
    try {
      await ctx.actions.sendPoll(chatId, poll, { threadId });
      m.close();
    } catch (err) {
      create.disabled = false;
      toast(describe(err, 'The poll was not sent'), 'error');
    }
  } });
  m.body.append(question, h('div', { class: 'section-title', text: 'Options' }), options,
    h('label', { class: 'check' }, anonymous, h('span', { text: channel ? 'Anonymous voting (always, in channels)' : 'Anonymous voting' })),
    h('label', { class: 'check' }, multiple, h('span', { text: 'Multiple answers' })),
    h('label', { class: 'check' }, quiz, h('span', { text: 'Quiz mode' })), quizBox,
    h('div', { class: 'modal-actions' }, create));
  setTimeout(() => question.focus(), 0);
}

// ---- comments under a channel post, replies in a supergroup -----------------------------

function commentsPart(msg, view) {
  if (msg.pending || msg.action) return null;
  const dialog = view.store.dialogs.get(msg.chat_id);
  if (!dialog) return null;
  const count = msg.replies ? msg.replies.count || 0 : 0;
  if (dialog.chat.kind === 'channel') {
    if (!msg.replies || !msg.replies.chat_id) return null;
    return h('button', { type: 'button', class: 'comments-btn', dataset: { msgId: String(msg.id) },
      onclick: (e) => { e.stopPropagation(); view.ctx.app.openThread({ kind: 'comments', chatId: msg.chat_id, msgId: msg.id }); } },
    icon('comment'), h('span', { class: 'comments-text', text: count ? plural(count, 'comment') : 'Leave a comment' }), icon('chevron'));
  }
  if (dialog.chat.kind === 'supergroup' && count > 0 && !view.inThread) {
    return h('button', { type: 'button', class: 'comments-btn replies-btn', dataset: { msgId: String(msg.id) },
      onclick: (e) => { e.stopPropagation(); view.ctx.app.openThread({ kind: 'replies', chatId: msg.chat_id, msgId: msg.id }); } },
    icon('reply'), h('span', { class: 'comments-text', text: plural(count, 'reply', 'replies') }), icon('chevron'));
  }
  return null;
}
