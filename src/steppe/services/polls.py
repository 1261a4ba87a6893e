"""Polls in any chat: anonymous or public, single or multiple answers, quizzes with a correct
answer and an explanation; votes change the results live (an event in every chat showing it)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

import msgspec

from steppe.domain import access, limits
from steppe.domain.errors import bad_request
from steppe.domain.markup import Poll, PollOption
from steppe.domain.models import Chat, Message, User
from steppe.services.channel_messages import ChannelMessages
from steppe.services.chats import Peer
from steppe.store.posts import public_poll
from steppe.store.reactions import ReactionStore

log = logging.getLogger(__name__)
# Told of every vote: (the poll after it, the poll's creator, the voter, the options chosen; none
# when the vote was taken back). The bot feed makes poll_answer updates of them.
VoteHook = Callable[[Poll, int, int, list[int]], Awaitable[None]]


class NewPoll(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    question: str
    answers: list[str]
    multiple_choice: bool = False
    quiz: bool = False
    correct_answer: int | None = None
    explanation: str | None = None
    public_voters: bool = False


class PollResults(msgspec.Struct, omit_defaults=True):
    """A poll as the viewer may see it, and the viewer's own answer."""

    poll: Poll
    chosen: list[int] = []


class Voter(msgspec.Struct):
    user_id: int
    options: list[int]
    date: int


class VotersPage(msgspec.Struct, omit_defaults=True):
    votes: list[Voter]
    users: list[User]
    next_offset: str | None = None


def make_poll(p: NewPoll) -> Poll:
    question = p.question.strip()
    answers = [a.strip() for a in p.answers]
    if not question or len(question) > limits.POLL_QUESTION_MAX:
        raise bad_request("POLL_QUESTION_INVALID")
    if not limits.POLL_OPTIONS_MIN <= len(answers) <= limits.POLL_OPTIONS_MAX:
        raise bad_request("POLL_ANSWERS_INVALID")
    if any(not a or len(a) > limits.POLL_OPTION_MAX for a in answers) or len(set(answers)) != len(answers):
        raise bad_request("POLL_OPTION_INVALID")
    if p.quiz and (p.multiple_choice or p.correct_answer is None):
        raise bad_request("QUIZ_CORRECT_ANSWERS_EMPTY")
    if p.correct_answer is not None and not (p.quiz and 0 <= p.correct_answer < len(answers)):
        raise bad_request("QUIZ_CORRECT_ANSWER_INVALID")
    if p.explanation is not None and (not p.quiz or len(p.explanation) > limits.POLL_EXPLANATION_MAX):
        raise bad_request("POLL_EXPLANATION_INVALID")
    return Poll(id=str(secrets.randbits(62)), question=question,
                options=[PollOption(a, persistent_id=str(i)) for i, a in enumerate(answers)],
                is_anonymous=not p.public_voters, type="quiz" if p.quiz else "regular",
                allows_multiple_answers=p.multiple_choice, correct_option_id=p.correct_answer,
                explanation=p.explanation)


class PollService:
    def __init__(self, messages: ChannelMessages):
        self.messages = messages
        self.core = messages.core
        self.store = ReactionStore(self.core.store.database)
        self.vote_hooks: list[VoteHook] = []

    async def send(self, actor: int, peer: Peer, new: NewPoll, *, random_id: int | None,
                   reply_to: int | None, silent: bool, schedule_date: int | None,
                   thread_id: int | None) -> Message:
        """Send a poll (messages.sendPoll): through the same rules as any message."""
        poll = make_poll(new)
        chat, member = await self.messages.chats.access(actor, peer, create=reply_to is None)
        if not self.messages.owns(chat):
            access.check_send(chat, member)
        if reply_to is not None and not await self.core.chats.get_messages(chat.id, [reply_to]):
            raise bad_request("REPLY_MESSAGE_INVALID")
        template = Message(chat_id=chat.id, id=0, sender_id=actor, date=self.core.clock.now(),
                           poll=poll, reply_to=reply_to, silent=silent,
                           schedule_date=schedule_date, thread_id=thread_id)
        return await self.messages.store(actor, chat, member, template, random_id)

    async def _poll_message(self, actor: int, peer: Peer, msg_id: int) -> tuple[Chat, Message, Poll]:
        chat = await self.messages.readable(actor, peer, preview=False)
        found = await self.core.chats.get_messages(chat.id, [msg_id]) if 0 < msg_id < 2**53 else []
        if not found or found[0].poll is None:
            raise bad_request("MESSAGE_ID_INVALID")
        msg = found[0]
        assert msg.poll is not None
        known = await self.store.poll(msg.poll.id)
        if known is None:  # a poll that came another way (a bot's): adopt it as shown
            await self.messages.posts.post_poll(msg, self.core.clock.now())
            known = msg.poll, msg.sender_id
        return chat, msg, known[0]

    async def _view(self, actor: int, poll: Poll) -> PollResults:
        chosen = await self.store.vote_of(poll.id, actor) or []
        shown = poll if chosen or poll.is_closed else public_poll(poll)
        return PollResults(poll=shown, chosen=chosen)

    async def vote(self, actor: int, peer: Peer, msg_id: int, options: list[int]) -> PollResults:
        """Answer (messages.sendVote); an empty list takes the answer back (not in a quiz)."""
        _, _, poll = await self._poll_message(actor, peer, msg_id)
        users = await self.core.store.get_users([actor])
        poll, out = await self.store.vote(poll.id, actor, options, users[actor].is_bot,
                                          self.core.clock.now())
        self.core.publish(out)
        known = await self.store.poll(poll.id) if self.vote_hooks else None
        for hook in self.vote_hooks if known is not None else []:
            try:
                await hook(poll, known[1], actor, options)
            except Exception:
                log.exception("a vote hook failed")
        return PollResults(poll=poll if options or poll.is_closed else public_poll(poll),
                           chosen=options)

    async def results(self, actor: int, peer: Peer, msg_id: int) -> PollResults:
        """The results; a quiz's answer once the viewer voted or the poll closed."""
        _, _, poll = await self._poll_message(actor, peer, msg_id)
        return await self._view(actor, poll)

    async def close(self, actor: int, peer: Peer, msg_id: int) -> PollResults:
        chat, msg, poll = await self._poll_message(actor, peer, msg_id)
        p = (await self.messages.ctx(actor, chat)).p if self.messages.owns(chat) else None
        access.check_close_poll(chat, actor, p, msg)
        poll, out = await self.store.close(poll.id, self.core.clock.now())
        self.core.publish(out)
        return await self._view(actor, poll)

    async def voters(self, actor: int, peer: Peer, msg_id: int, option: int | None, offset: str,
                     limit: int) -> VotersPage:
        """Who voted how, in a public poll, for those who voted (messages.getPollVotes)."""
        _, _, poll = await self._poll_message(actor, peer, msg_id)
        if poll.is_anonymous:
            raise bad_request("POLL_ANONYMOUS")
        if not await self.store.vote_of(poll.id, actor) and not poll.is_closed:
            raise bad_request("POLL_VOTE_REQUIRED")
        try:
            date, user = (int(x) for x in offset.split(":")) if offset else (0, 0)
        except ValueError:
            raise bad_request("OFFSET_INVALID")
        limit = max(1, min(limit, 100))
        page = [Voter(*v) for v in await self.store.voters(poll.id, option, date, user, limit)]
        users = await self.messages.channels.users.view(actor, [v.user_id for v in page])
        nxt = f"{page[-1].date}:{page[-1].user_id}" if len(page) == limit else None
        return VotersPage(votes=page, users=users, next_offset=nxt)
