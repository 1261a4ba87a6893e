"""Client methods for supergroups and channels (issue 5), and for what every chat gains with them:
reactions, polls, several pins, scheduled messages, reply threads, views.

Names follow Telegram's: `channels.createChannel` (`megagroup` for a supergroup), the rights
methods `channels.editAdmin` / `channels.editBanned`, invite links under `messages.*Invite*`,
`messages.migrateChat` to upgrade a basic group. Sending, editing, deleting, pinning and reading
use the ordinary `messages.*` methods (with `silent`, `schedule_date`, `thread_id`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.api.hub import Hub
from steppe.api.registry import Call, Registry
from steppe.domain.channels import AdminRights, BannedRights
from steppe.domain.entities import Entity
from steppe.services.channelsuite import ChannelSuite
from steppe.services.chats import Peer
from steppe.services.container import Services
from steppe.services.polls import NewPoll


class _P(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of these parameter structs: unknown fields are refused."""


class PeerOnly(_P):
    peer: Peer


class CreateChannel(_P):
    title: str
    about: str = ""
    broadcast: bool = False
    megagroup: bool = False
    forum: bool = False


class Username(_P):
    username: str


class PeerUsername(_P):
    peer: Peer
    username: str


class EditTitle(_P):
    peer: Peer
    title: str


class EditAbout(_P):
    peer: Peer
    about: str


class Toggle(_P):
    peer: Peer
    enabled: bool


class SlowMode(_P):
    peer: Peer
    seconds: int


class DefaultRights(_P):
    peer: Peer
    banned_rights: BannedRights


class Reactions(_P):
    peer: Peer
    reactions: list[str] | None = None
    limit: int = 1


class Discussion(_P):
    broadcast: Peer
    group: Peer | None = None


class GetParticipants(_P):
    peer: Peer
    filter: str = "recent"
    q: str = ""
    offset: int = 0
    limit: int = 50


class PeerUser(_P):
    peer: Peer
    user_id: int


class EditAdmin(_P):
    peer: Peer
    user_id: int
    admin_rights: AdminRights
    rank: str = ""


class EditBanned(_P):
    peer: Peer
    user_id: int
    banned_rights: BannedRights
    until_date: int = 0


class PeerUsers(_P):
    peer: Peer
    user_ids: list[int]


class AdminLogParams(_P):
    peer: Peer
    q: str = ""
    events: list[str] = []
    admins: list[int] = []
    max_id: int = 0
    limit: int = 50


class ReadHistory(_P):
    peer: Peer
    max_id: int = 0


class ChannelMessages(_P):
    peer: Peer
    ids: list[int] = []
    offset_id: int = 0
    limit: int = 50


class ExportInvite(_P):
    peer: Peer
    expire_date: int = 0
    usage_limit: int = 0
    request_needed: bool = False
    title: str = ""
    legacy_revoke_permanent: bool = False


class GetInvites(_P):
    peer: Peer
    admin_id: int | None = None
    revoked: bool = False
    offset_date: int = 0
    limit: int = 50


class EditInvite(_P):
    peer: Peer
    link: str
    revoked: bool | None = None
    expire_date: int | None = None
    usage_limit: int | None = None
    request_needed: bool | None = None
    title: str | None = None


class PeerLink(_P):
    peer: Peer
    link: str


class InviteHash(_P):
    hash: str


class ImportInvite(_P):
    hash: str
    about: str = ""


class Importers(_P):
    peer: Peer
    link: str | None = None
    requested: bool = False
    offset_date: int = 0
    limit: int = 50


class HideRequest(_P):
    peer: Peer
    user_id: int
    approved: bool


class CreateTopic(_P):
    peer: Peer
    title: str
    icon_color: int = 0


class EditTopic(_P):
    peer: Peer
    topic_id: int
    title: str | None = None
    closed: bool | None = None
    hidden: bool | None = None


class PinTopic(_P):
    peer: Peer
    topic_id: int
    pinned: bool


class GetTopics(_P):
    peer: Peer
    offset_id: int = 0
    limit: int = 50


class SendReaction(_P):
    peer: Peer
    msg_id: int
    reaction: list[str] = []


class PeerIds(_P):
    peer: Peer
    ids: list[int]


class ReactionsList(_P):
    peer: Peer
    id: int
    reaction: str | None = None
    offset: str = ""
    limit: int = 50


class SendPoll(_P):
    peer: Peer
    poll: NewPoll
    random_id: int | None = None
    reply_to: int | None = None
    silent: bool = False
    schedule_date: int | None = None
    thread_id: int | None = None


class SendVote(_P):
    peer: Peer
    msg_id: int
    options: list[int]


class PeerMsg(_P):
    peer: Peer
    msg_id: int


class PollVotes(_P):
    peer: Peer
    id: int
    option: int | None = None
    offset: str = ""
    limit: int = 50


class EditScheduled(_P):
    peer: Peer
    id: int
    text: str | None = None
    entities: list[Entity] | None = None
    schedule_date: int | None = None


class GetReplies(_P):
    peer: Peer
    msg_id: int
    offset_id: int = 0
    limit: int = 50


class GetViews(_P):
    peer: Peer
    ids: list[int]
    increment: bool = False


def register(r: Registry, s: Services, hub: Hub) -> None:
    ch = s.channels
    _channels(r, s, ch)
    _invites(r, ch)
    _content(r, ch)


def _channels(r: Registry, s: Services, ch: ChannelSuite) -> None:
    @r.method("channels.createChannel", CreateChannel)
    async def create(c: Call, p: CreateChannel) -> Any:
        """Create a broadcast channel (`broadcast`) or a supergroup (`megagroup`, `forum`)."""
        return await ch.channels.create(c.user_id, p.title, p.about, broadcast=p.broadcast,
                                        megagroup=p.megagroup, forum=p.forum)

    @r.method("channels.getFullChannel", PeerOnly)
    async def full(c: Call, p: PeerOnly) -> Any:
        """A supergroup or channel with its settings and the caller's standing (public ones
        before joining too)."""
        return await ch.channels.full(c.user_id, p.peer)

    @r.method("channels.resolveUsername", Username)
    async def resolve(c: Call, p: Username) -> Any:
        """The public supergroup or channel with this username (users: contacts.resolveUsername)."""
        return await ch.channels.resolve(c.user_id, p.username)

    @r.method("channels.editTitle", EditTitle)
    async def edit_title(c: Call, p: EditTitle) -> Any:
        """Rename a supergroup or channel (the change_info right)."""
        await ch.channels.edit_title(c.user_id, p.peer, p.title)
        return True

    @r.method("messages.editChatAbout", EditAbout)
    async def edit_about(c: Call, p: EditAbout) -> Any:
        """Change a supergroup's or channel's description."""
        return await ch.channels.edit_about(c.user_id, p.peer, p.about)

    @r.method("channels.updateUsername", PeerUsername)
    async def username(c: Call, p: PeerUsername) -> Any:
        """Make a supergroup or channel public under a username, or private again ("")."""
        return await ch.channels.update_username(c.user_id, p.peer, p.username)

    @r.method("channels.toggleSignatures", Toggle)
    async def signatures(c: Call, p: Toggle) -> Any:
        """Sign a channel's posts with their author's name."""
        return await ch.channels.toggle_signatures(c.user_id, p.peer, p.enabled)

    @r.method("channels.toggleSlowMode", SlowMode)
    async def slowmode(c: Call, p: SlowMode) -> Any:
        """Seconds between one member's messages (0, 10, 30, 60, 300, 900, 3600)."""
        return await ch.channels.toggle_slowmode(c.user_id, p.peer, p.seconds)

    @r.method("channels.toggleForum", Toggle)
    async def forum(c: Call, p: Toggle) -> Any:
        """Make a supergroup a forum of topics, or not."""
        return await ch.channels.toggle_forum(c.user_id, p.peer, p.enabled)

    @r.method("messages.editChatDefaultBannedRights", DefaultRights)
    async def default_rights(c: Call, p: DefaultRights) -> Any:
        """What no member of a supergroup may do unless an admin."""
        return await ch.channels.edit_default_rights(c.user_id, p.peer, p.banned_rights)

    @r.method("messages.setChatAvailableReactions", Reactions)
    async def reactions(c: Call, p: Reactions) -> Any:
        """A group's or channel's allowed reactions (null: all) and how many one user may set."""
        return await ch.channels.set_reactions(c.user_id, p.peer, p.reactions, p.limit)

    @r.method("channels.setDiscussionGroup", Discussion)
    async def discussion(c: Call, p: Discussion) -> Any:
        """Link a channel to a supergroup for comments (no `group`: unlink)."""
        await ch.channels.set_discussion(c.user_id, p.broadcast, p.group)
        return True

    @r.method("channels.getParticipants", GetParticipants)
    async def participants(c: Call, p: GetParticipants) -> Any:
        """Members by filter (recent, admins, restricted, banned, search with `q`, bots), paged."""
        return await ch.channels.participants(c.user_id, p.peer, p.filter, p.q, p.offset,
                                              p.limit)

    @r.method("channels.getParticipant", PeerUser)
    async def participant(c: Call, p: PeerUser) -> Any:
        """One member's standing."""
        return await ch.channels.participant(c.user_id, p.peer, p.user_id)

    @r.method("channels.editAdmin", EditAdmin)
    async def edit_admin(c: Call, p: EditAdmin) -> Any:
        """Promote a member (rights, a title), change an admin's rights, or demote (no rights)."""
        return await ch.channels.edit_admin(c.user_id, p.peer, p.user_id, p.admin_rights, p.rank)

    @r.method("channels.editBanned", EditBanned)
    async def edit_banned(c: Call, p: EditBanned) -> Any:
        """Restrict a member, ban a user (`view_messages`), until a date (0: forever), or lift it
        (no rights)."""
        return await ch.channels.edit_banned(c.user_id, p.peer, p.user_id, p.banned_rights,
                                             p.until_date)

    @r.method("channels.inviteToChannel", PeerUsers)
    async def invite(c: Call, p: PeerUsers) -> Any:
        """Add users to a supergroup or channel."""
        await ch.channels.invite(c.user_id, p.peer, p.user_ids)
        return True

    @r.method("channels.joinChannel", PeerOnly)
    async def join(c: Call, p: PeerOnly) -> Any:
        """Join a public supergroup or channel."""
        return await ch.channels.join(c.user_id, p.peer)

    @r.method("channels.leaveChannel", PeerOnly)
    async def leave(c: Call, p: PeerOnly) -> Any:
        """Leave a supergroup or channel."""
        await ch.channels.leave(c.user_id, p.peer)
        return True

    @r.method("channels.getAdminLog", AdminLogParams)
    async def admin_log(c: Call, p: AdminLogParams) -> Any:
        """What admins did, latest first (filter by `events` kinds, `admins`, text `q`)."""
        return await ch.channels.admin_log(c.user_id, p.peer, p.q, p.events, p.admins, p.max_id,
                                           p.limit)

    @r.method("messages.migrateChat", PeerOnly)
    async def migrate(c: Call, p: PeerOnly) -> Any:
        """Upgrade a basic group to a supergroup (its creator only); returns the new chat."""
        return await ch.channels.migrate(c.user_id, p.peer)

    @r.method("channels.readHistory", ReadHistory)
    async def read(c: Call, p: ReadHistory) -> Any:
        """Mark a supergroup or channel read (as messages.readHistory)."""
        return await s.messages.read(c.user_id, p.peer, p.max_id)

    @r.method("channels.getMessages", ChannelMessages)
    async def messages(c: Call, p: ChannelMessages) -> Any:
        """Messages by id, or a page of history: for members, and for anyone when public."""
        return await ch.messages.preview(c.user_id, p.peer, p.ids, p.offset_id, p.limit)


def _invites(r: Registry, ch: ChannelSuite) -> None:
    @r.method("messages.exportChatInvite", ExportInvite)
    async def export(c: Call, p: ExportInvite) -> Any:
        """A new invite link: expiry date, usage limit, admin approval, a title."""
        return await ch.invites.export(c.user_id, p.peer, expire_date=p.expire_date,
                                       usage_limit=p.usage_limit, request_needed=p.request_needed,
                                       title=p.title, revoke_permanent=p.legacy_revoke_permanent)

    @r.method("messages.getExportedChatInvites", GetInvites)
    async def links(c: Call, p: GetInvites) -> Any:
        """The caller's invite links (`admin_id`: another admin's; 0: everyone's)."""
        return await ch.invites.links(c.user_id, p.peer, p.admin_id, p.revoked, p.offset_date,
                                      p.limit)

    @r.method("messages.editExportedChatInvite", EditInvite)
    async def edit(c: Call, p: EditInvite) -> Any:
        """Revoke a link, or change its terms."""
        return await ch.invites.edit(c.user_id, p.peer, p.link, revoked=p.revoked,
                                     expire_date=p.expire_date, usage_limit=p.usage_limit,
                                     request_needed=p.request_needed, title=p.title)

    @r.method("messages.deleteExportedChatInvite", PeerLink)
    async def delete(c: Call, p: PeerLink) -> Any:
        """Delete a revoked link."""
        await ch.invites.delete(c.user_id, p.peer, p.link)
        return True

    @r.method("messages.checkChatInvite", InviteHash)
    async def check(c: Call, p: InviteHash) -> Any:
        """What a link leads to, before joining."""
        return await ch.invites.check(c.user_id, p.hash)

    @r.method("messages.importChatInvite", ImportInvite)
    async def use(c: Call, p: ImportInvite) -> Any:
        """Join by a link; one that needs approval answers INVITE_REQUEST_SENT."""
        return await ch.invites.use(c.user_id, p.hash, p.about)

    @r.method("messages.getChatInviteImporters", Importers)
    async def importers(c: Call, p: Importers) -> Any:
        """Who joined by a link, or (`requested`) who waits for approval."""
        return await ch.invites.importers(c.user_id, p.peer, p.link, p.requested, p.offset_date,
                                          p.limit)

    @r.method("messages.hideChatJoinRequest", HideRequest)
    async def decide(c: Call, p: HideRequest) -> Any:
        """Approve or decline a join request."""
        await ch.invites.decide(c.user_id, p.peer, p.user_id, p.approved)
        return True


def _content(r: Registry, ch: ChannelSuite) -> None:
    @r.method("messages.createForumTopic", CreateTopic)
    async def create_topic(c: Call, p: CreateTopic) -> Any:
        """A new topic in a forum."""
        return await ch.topics.create(c.user_id, p.peer, p.title, p.icon_color)

    @r.method("messages.editForumTopic", EditTopic)
    async def edit_topic(c: Call, p: EditTopic) -> Any:
        """Rename, close or reopen, hide or show a topic."""
        return await ch.topics.edit(c.user_id, p.peer, p.topic_id, title=p.title,
                                    closed=p.closed, hidden=p.hidden)

    @r.method("messages.updatePinnedForumTopic", PinTopic)
    async def pin_topic(c: Call, p: PinTopic) -> Any:
        """Pin a topic to the top of the list, or unpin it."""
        return await ch.topics.edit(c.user_id, p.peer, p.topic_id, pinned=p.pinned)

    @r.method("messages.getForumTopics", GetTopics)
    async def topics(c: Call, p: GetTopics) -> Any:
        """A forum's topics: pinned first, then the newest."""
        return await ch.topics.list(c.user_id, p.peer, p.offset_id, p.limit)

    @r.method("messages.sendReaction", SendReaction)
    async def react(c: Call, p: SendReaction) -> Any:
        """Set your reactions on a message ([] removes them)."""
        return await ch.reactions.send(c.user_id, p.peer, p.msg_id, p.reaction)

    @r.method("messages.getMessagesReactions", PeerIds)
    async def reactions_of(c: Call, p: PeerIds) -> Any:
        """Reaction counts of messages and your own reactions."""
        return await ch.reactions.of_messages(c.user_id, p.peer, p.ids)

    @r.method("messages.getMessageReactionsList", ReactionsList)
    async def reactors(c: Call, p: ReactionsList) -> Any:
        """Who reacted to a message (not in broadcast channels), paged by `next_offset`."""
        return await ch.reactions.reactors(c.user_id, p.peer, p.id, p.reaction, p.offset,
                                           p.limit)

    @r.method("messages.sendPoll", SendPoll)
    async def send_poll(c: Call, p: SendPoll) -> Any:
        """Send a poll: anonymous or public, multiple choice, or a quiz with an explanation."""
        return await ch.polls.send(c.user_id, p.peer, p.poll, random_id=p.random_id,
                                   reply_to=p.reply_to, silent=p.silent,
                                   schedule_date=p.schedule_date, thread_id=p.thread_id)

    @r.method("messages.sendVote", SendVote)
    async def vote(c: Call, p: SendVote) -> Any:
        """Answer a poll ([] takes the answer back, not in a quiz)."""
        return await ch.polls.vote(c.user_id, p.peer, p.msg_id, p.options)

    @r.method("messages.getPollResults", PeerMsg)
    async def poll_results(c: Call, p: PeerMsg) -> Any:
        """A poll's results and your answer."""
        return await ch.polls.results(c.user_id, p.peer, p.msg_id)

    @r.method("messages.getPollVotes", PollVotes)
    async def poll_votes(c: Call, p: PollVotes) -> Any:
        """Who answered a public poll how (for those who answered)."""
        return await ch.polls.voters(c.user_id, p.peer, p.id, p.option, p.offset, p.limit)

    @r.method("messages.closePoll", PeerMsg)
    async def close_poll(c: Call, p: PeerMsg) -> Any:
        """Close a poll: no more answers; a quiz shows its answer to everyone."""
        return await ch.polls.close(c.user_id, p.peer, p.msg_id)

    @r.method("messages.getScheduledHistory", PeerOnly)
    async def scheduled(c: Call, p: PeerOnly) -> Any:
        """Messages waiting to be sent, soonest first."""
        return await ch.scheduled.history(c.user_id, p.peer)

    @r.method("messages.sendScheduledMessages", PeerIds)
    async def send_scheduled(c: Call, p: PeerIds) -> Any:
        """Send scheduled messages now."""
        return await ch.scheduled.send_now(c.user_id, p.peer, p.ids)

    @r.method("messages.deleteScheduledMessages", PeerIds)
    async def delete_scheduled(c: Call, p: PeerIds) -> Any:
        """Cancel scheduled messages."""
        await ch.scheduled.delete(c.user_id, p.peer, p.ids)
        return True

    @r.method("messages.editScheduledMessage", EditScheduled)
    async def edit_scheduled(c: Call, p: EditScheduled) -> Any:
        """Change a scheduled message's text or time."""
        return await ch.scheduled.edit(c.user_id, p.peer, p.id, p.text, p.entities,
                                       p.schedule_date)

    @r.method("messages.getReplies", GetReplies)
    async def replies(c: Call, p: GetReplies) -> Any:
        """A channel post's comments, a message's replies, or a forum topic's messages."""
        return await ch.messages.replies(c.user_id, p.peer, p.msg_id, p.offset_id, p.limit)

    @r.method("messages.getDiscussionMessage", PeerMsg)
    async def discussion_message(c: Call, p: PeerMsg) -> Any:
        """A channel post's copy in the discussion group, where comments reply to it."""
        return await ch.messages.discussion_message(c.user_id, p.peer, p.msg_id)

    @r.method("messages.getMessagesViews", GetViews)
    async def views(c: Call, p: GetViews) -> Any:
        """Views, forwards and reply counts; `increment` counts your view of channel posts."""
        return await ch.messages.get_views(c.user_id, p.peer, p.ids, p.increment)

    @r.method("messages.getPinnedMessages", PeerOnly)
    async def pinned(c: Call, p: PeerOnly) -> Any:
        """A chat's pinned messages, the most recent first."""
        return await ch.messages.pinned(c.user_id, p.peer)

    @r.method("messages.unpinAllMessages", PeerOnly)
    async def unpin_all(c: Call, p: PeerOnly) -> Any:
        """Unpin every pinned message of a chat."""
        await ch.messages.unpin_all(c.user_id, p.peer)
        return True
