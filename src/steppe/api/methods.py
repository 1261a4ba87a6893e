"""The client API: every method, its parameters and what it returns."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from steppe.api import bot_methods, channel_methods, file_methods, search_methods
from steppe.api.hub import Hub
from steppe.api.registry import Call, Empty, Registry
from steppe.domain import limits
from steppe.domain.entities import Entity
from steppe.domain.errors import bad_request
from steppe.domain.models import Draft
from steppe.services.chats import Peer
from steppe.services.container import Services


class P(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every parameter struct: unknown fields are refused."""


class SendCode(P):
    phone: str


class SignIn(P):
    phone: str
    phone_code_hash: str
    code: str


class SignUp(P):
    phone: str
    phone_code_hash: str
    first_name: str
    last_name: str = ""


class CheckPassword(P):
    phone: str
    phone_code_hash: str
    password: str


class AuthId(P):
    id: int


class PasswordSettings(P):
    current_password: str | None = None
    new_password: str | None = None
    hint: str = ""


class ProfileParams(P):
    first_name: str | None = None
    last_name: str | None = None
    about: str | None = None


class Username(P):
    username: str


class Status(P):
    offline: bool


class UserIds(P):
    ids: list[int]


class Search(P):
    q: str
    limit: int = 20


class AddContact(P):
    user_id: int
    first_name: str = ""
    last_name: str = ""


class PhoneContact(P):
    phone: str
    first_name: str = ""
    last_name: str = ""


class ImportContacts(P):
    contacts: list[PhoneContact]


class GetDialogs(P):
    offset_date: int = 0
    offset_chat_id: int = 0
    limit: int = 20


class PeerOnly(P):
    peer: Peer


class CreateChat(P):
    title: str
    user_ids: list[int]


class AddChatUser(P):
    peer: Peer
    user_ids: list[int]


class DeleteChatUser(P):
    peer: Peer
    user_id: int


class EditTitle(P):
    peer: Peer
    title: str


class DialogPin(P):
    peer: Peer
    pinned: bool = True


class SendMessage(Draft, forbid_unknown_fields=True, kw_only=True):
    peer: Peer


class ForwardMessages(P):
    from_peer: Peer
    ids: list[int]
    to_peer: Peer
    random_ids: list[int] | None = None


class EditMessage(P):
    peer: Peer
    id: int
    text: str
    entities: list[Entity] = []


class DeleteMessages(P):
    peer: Peer
    ids: list[int]
    revoke: bool = True


class PinMessage(P):
    peer: Peer
    id: int
    unpin: bool = False


class ReadHistory(P):
    peer: Peer
    max_id: int = 0


class GetHistory(P):
    peer: Peer
    offset_id: int = 0
    direction: Literal["older", "newer", "around"] = "older"
    limit: int = 50


class GetMessages(P):
    peer: Peer
    ids: list[int]


class SetTyping(P):
    peer: Peer
    action: str = "typing"


class GetDifference(P):
    seq: int
    pts: dict[int, int] = {}


class GetChatDifference(P):
    chat_id: int
    pts: int
    limit: int = limits.DIFFERENCE_CHAT_LIMIT


class Authorize(P):
    token: str


def _draft(p: SendMessage) -> Draft:
    fields = msgspec.structs.asdict(p)
    del fields["peer"]
    return Draft(**fields)


def build(s: Services, hub: Hub) -> Registry:
    r = Registry()

    # ---- auth --------------------------------------------------------------------------------
    @r.method("auth.sendCode", SendCode, auth=False)
    async def send_code(c: Call, p: SendCode) -> Any:
        """Send a 5-digit login code to a phone number; returns the `phone_code_hash`."""
        return await s.auth.send_code(p.phone)

    @r.method("auth.signIn", SignIn, auth=False)
    async def sign_in(c: Call, p: SignIn) -> Any:
        """Sign in with the code: a token, `{sign_up_required: true}`, or SESSION_PASSWORD_NEEDED."""
        result = await s.auth.sign_in(p.phone, p.phone_code_hash, p.code, c.device, c.app, c.ip)
        await hub.bind(c, result)
        return result

    @r.method("auth.signUp", SignUp, auth=False)
    async def sign_up(c: Call, p: SignUp) -> Any:
        """Create the account for a verified number that has none."""
        result = await s.auth.sign_up(p.phone, p.phone_code_hash, p.first_name, p.last_name,
                                      c.device, c.app, c.ip)
        await hub.bind(c, result)
        return result

    @r.method("auth.checkPassword", CheckPassword, auth=False)
    async def check_password(c: Call, p: CheckPassword) -> Any:
        """Finish a sign-in that asked for the two-step password."""
        result = await s.auth.check_password(p.phone, p.phone_code_hash, p.password, c.device,
                                             c.app, c.ip)
        await hub.bind(c, result)
        return result

    @r.method("connection.authorize", Authorize, auth=False)
    async def authorize(c: Call, p: Authorize) -> Any:
        """WebSocket: use a token for this connection; returns the user."""
        auth = await s.auth.resolve(p.token)
        me = await hub.bind_auth(c, auth)  # read with the user's chats
        if me is None:  # not a WebSocket, or it closed meanwhile
            return await s.users.get(auth.user_id, auth.user_id)
        return s.users.shown_to_self(me)

    @r.method("auth.logOut", Empty)
    async def log_out(c: Call, p: Empty) -> Any:
        """End this authorization."""
        await s.auth.terminate(c.user_id, [c.auth_id])
        return True

    @r.method("account.getAuthorizations", Empty)
    async def get_auths(c: Call, p: Empty) -> Any:
        """Every signed-in device of the account."""
        return await s.auth.list_authorizations(c.user_id, c.auth_id)

    @r.method("account.resetAuthorization", AuthId)
    async def reset_auth(c: Call, p: AuthId) -> Any:
        """Terminate one authorization; its token stops working at once."""
        if not await s.auth.terminate(c.user_id, [p.id]):
            raise bad_request("HASH_INVALID")
        return True

    @r.method("auth.resetAuthorizations", Empty)
    async def reset_auths(c: Call, p: Empty) -> Any:
        """Terminate every authorization but this one."""
        return await s.auth.terminate_others(c.user_id, c.auth_id)

    @r.method("account.getPassword", Empty)
    async def get_password(c: Call, p: Empty) -> Any:
        """Whether a two-step password is set, and its hint."""
        return await s.auth.get_password(c.user_id)

    @r.method("account.updatePasswordSettings", PasswordSettings)
    async def update_password(c: Call, p: PasswordSettings) -> Any:
        """Set, change (current_password needed) or remove (new_password null) the password."""
        return await s.auth.update_password(c.user_id, p.current_password, p.new_password, p.hint)

    # ---- users and contacts ------------------------------------------------------------------
    @r.method("account.updateProfile", ProfileParams)
    async def update_profile(c: Call, p: ProfileParams) -> Any:
        """Change first name, last name or bio."""
        return await s.users.update_profile(c.user_id, p.first_name, p.last_name, p.about)

    @r.method("account.updateUsername", Username)
    async def update_username(c: Call, p: Username) -> Any:
        """Set or (with an empty string) remove the username."""
        return await s.users.update_username(c.user_id, p.username)

    @r.method("account.checkUsername", Username)
    async def check_username(c: Call, p: Username) -> Any:
        """Whether a username is valid and free."""
        return await s.users.check_username(p.username)

    @r.method("account.updateStatus", Status)
    async def update_status(c: Call, p: Status) -> Any:
        """Tell the peers this user went offline or came back."""
        await hub.set_status(c.user_id, not p.offline)
        return True

    @r.method("users.getUsers", UserIds)
    async def get_users(c: Call, p: UserIds) -> Any:
        """Users by id (unknown ids are left out)."""
        if len(p.ids) > 200:
            raise bad_request("LIMIT_INVALID")
        return await s.users.view(c.user_id, p.ids)

    @r.method("contacts.resolveUsername", Username)
    async def resolve(c: Call, p: Username) -> Any:
        """The user who has this username."""
        return await s.users.resolve(c.user_id, p.username)

    @r.method("contacts.search", Search)
    async def search(c: Call, p: Search) -> Any:
        """Users whose username starts with `q`."""
        if len(p.q) > 64:
            raise bad_request("SEARCH_QUERY_INVALID")
        return await s.users.search(c.user_id, p.q, p.limit)

    @r.method("contacts.getContacts", Empty)
    async def contacts(c: Call, p: Empty) -> Any:
        """The contact list."""
        return await s.users.contacts(c.user_id)

    @r.method("contacts.addContact", AddContact)
    async def add_contact(c: Call, p: AddContact) -> Any:
        """Add a user to the contacts under a name of your choice."""
        return await s.users.add_contact(c.user_id, p.user_id, p.first_name, p.last_name)

    @r.method("contacts.deleteContacts", UserIds)
    async def delete_contacts(c: Call, p: UserIds) -> Any:
        """Remove users from the contacts."""
        await s.users.delete_contacts(c.user_id, p.ids)
        return True

    @r.method("contacts.importContacts", ImportContacts)
    async def import_contacts(c: Call, p: ImportContacts) -> Any:
        """Add contacts by phone number; returns who has an account."""
        people = [(x.phone, x.first_name, x.last_name) for x in p.contacts]
        return await s.users.import_contacts(c.user_id, people)

    # ---- chats -------------------------------------------------------------------------------
    @r.method("messages.getDialogs", GetDialogs)
    async def dialogs(c: Call, p: GetDialogs) -> Any:
        """The chat list, latest activity first (pinned chats on the first page), paged."""
        return await s.chats.dialogs(c.user_id, p.offset_date, p.offset_chat_id, p.limit)

    @r.method("messages.getChat", PeerOnly)
    async def get_chat(c: Call, p: PeerOnly) -> Any:
        """One chat: its dialog entry, members and their users."""
        return await s.chats.get_chat(c.user_id, p.peer)

    @r.method("messages.createChat", CreateChat)
    async def create_chat(c: Call, p: CreateChat) -> Any:
        """Create a basic group (up to 200 members)."""
        return await s.chats.create_group(c.user_id, p.title, p.user_ids)

    @r.method("messages.addChatUser", AddChatUser)
    async def add_chat_user(c: Call, p: AddChatUser) -> Any:
        """Add users to a group."""
        await s.chats.add_members(c.user_id, p.peer, p.user_ids)
        return True

    @r.method("messages.deleteChatUser", DeleteChatUser)
    async def delete_chat_user(c: Call, p: DeleteChatUser) -> Any:
        """Remove a member (or yourself: leave)."""
        await s.chats.remove_member(c.user_id, p.peer, p.user_id)
        return True

    @r.method("messages.leaveChat", PeerOnly)
    async def leave_chat(c: Call, p: PeerOnly) -> Any:
        """Leave a group."""
        await s.chats.leave(c.user_id, p.peer)
        return True

    @r.method("messages.editChatTitle", EditTitle)
    async def edit_title(c: Call, p: EditTitle) -> Any:
        """Rename a group."""
        await s.chats.rename(c.user_id, p.peer, p.title)
        return True

    @r.method("messages.toggleDialogPin", DialogPin)
    async def pin_dialog(c: Call, p: DialogPin) -> Any:
        """Pin a chat to the top of the chat list, or unpin it."""
        await s.chats.pin_dialog(c.user_id, p.peer, p.pinned)
        return True

    # ---- messages ----------------------------------------------------------------------------
    @r.method("messages.sendMessage", SendMessage)
    async def send_message(c: Call, p: SendMessage) -> Any:
        """Send a text message; a repeated `random_id` returns the message already sent."""
        return await s.messages.send(c.user_id, p.peer, _draft(p))

    @r.method("messages.forwardMessages", ForwardMessages)
    async def forward(c: Call, p: ForwardMessages) -> Any:
        """Forward messages; each keeps its origin."""
        return await s.messages.forward(c.user_id, p.from_peer, p.ids, p.to_peer, p.random_ids)

    @r.method("messages.editMessage", EditMessage)
    async def edit(c: Call, p: EditMessage) -> Any:
        """Edit your own message within 48 hours."""
        return await s.messages.edit(c.user_id, p.peer, p.id, p.text, p.entities)

    @r.method("messages.deleteMessages", DeleteMessages)
    async def delete(c: Call, p: DeleteMessages) -> Any:
        """Delete for everyone (`revoke`, default) or only for yourself."""
        return await s.messages.delete(c.user_id, p.peer, p.ids, p.revoke)

    @r.method("messages.updatePinnedMessage", PinMessage)
    async def pin(c: Call, p: PinMessage) -> Any:
        """Pin or unpin a message."""
        await s.messages.pin(c.user_id, p.peer, p.id, not p.unpin)
        return True

    @r.method("messages.readHistory", ReadHistory)
    async def read(c: Call, p: ReadHistory) -> Any:
        """Mark the chat read up to `max_id` (0: everything)."""
        return await s.messages.read(c.user_id, p.peer, p.max_id)

    @r.method("messages.getHistory", GetHistory)
    async def history(c: Call, p: GetHistory) -> Any:
        """A page of messages older or newer than `offset_id`, newest first, with their users."""
        msgs = await s.messages.history(c.user_id, p.peer, p.offset_id, p.direction,
                                        p.limit)
        users = await s.users.view(c.user_id, sorted({m.sender_id for m in msgs}))
        return {"messages": msgs, "users": users}

    @r.method("messages.getMessages", GetMessages)
    async def get_messages(c: Call, p: GetMessages) -> Any:
        """Messages of a chat by id."""
        return await s.messages.get(c.user_id, p.peer, p.ids)

    @r.method("messages.setTyping", SetTyping)
    async def set_typing(c: Call, p: SetTyping) -> Any:
        """Show the other members that you are typing (or `cancel`)."""
        await s.messages.typing(c.user_id, p.peer, p.action)
        return True

    # ---- sync --------------------------------------------------------------------------------
    @r.method("updates.getState", Empty)
    async def get_state(c: Call, p: Empty) -> Any:
        """The account's `seq` and every chat's `pts`: where a device starts."""
        return await s.sync.state(c.user_id)

    @r.method("updates.getDifference", GetDifference)
    async def get_difference(c: Call, p: GetDifference) -> Any:
        """Everything since `seq` and the given per-chat `pts`, in order."""
        return await s.sync.difference(c.user_id, p.seq, p.pts)

    @r.method("updates.getChatDifference", GetChatDifference)
    async def get_chat_difference(c: Call, p: GetChatDifference) -> Any:
        """One chat's events after `pts`, or `too_long`."""
        return await s.sync.chat_difference(c.user_id, p.chat_id, p.pts, p.limit)

    @r.method("help.getConfig", Empty, auth=False)
    async def get_config(c: Call, p: Empty) -> Any:
        """Limits a client should know."""
        return {name.lower(): value for name, value in vars(limits).items() if name.isupper()}

    search_methods.register(r, s, hub)
    file_methods.register(r, s, hub)
    channel_methods.register(r, s, hub)
    bot_methods.register(r, s, hub)
    return r
