"""Signing in: codes, sign-up, the two-step password, authorizations and tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from steppe.domain import limits, validate
from steppe.domain.errors import RpcError, bad_request, unauthorized
from steppe.domain.models import Authorization, LoginCode, User
from steppe.domain.phone import normalize_phone
from steppe.domain.ratelimit import RateLimiter
from steppe.services.codes import CodeSender
from steppe.services.core import Core

_hasher = PasswordHasher()


class SignedIn(msgspec.Struct):
    token: str
    user: User
    authorization: Authorization


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(self, core: Core, codes: CodeSender):
        self.core = core
        self.codes = codes
        self._send_limit = RateLimiter(rate=1 / 30, burst=3)
        self._tokens: dict[str, Authorization] = {}
        self._seen: dict[int, int] = {}
        self._code_key: bytes | None = None
        # (user_id, now) on every authorized request; must only touch memory (stats wires it).
        self.on_active: Callable[[int, int], None] | None = None

    # ---- codes -------------------------------------------------------------------------------

    async def _code_hash(self, hash_id: str, code: str) -> str:
        """Codes are kept as an HMAC under a server secret: five digits are too few to survive
        a plain hash in a stolen copy of the database."""
        if self._code_key is None:
            key = await self.core.store.secret("login_codes", secrets.token_hex(32))
            self._code_key = bytes.fromhex(key)
        return hmac.new(self._code_key, f"{hash_id}:{code}".encode(), hashlib.sha256).hexdigest()

    async def send_code(self, raw_phone: str) -> dict[str, object]:
        phone, _country = normalize_phone(raw_phone)
        now = self.core.clock.now()
        self._send_limit.take(phone, now)
        code, hash_id = self._new_code()
        login = LoginCode(hash_id, phone, await self._code_hash(hash_id, code), now + limits.LOGIN_CODE_TTL,
                          0, "sent")
        await self.core.store.put_login(login)
        how = await self.codes.send(phone, code)
        return {"phone": phone, "phone_code_hash": hash_id, "type": how,
                "length": limits.LOGIN_CODE_DIGITS, "timeout": limits.LOGIN_CODE_TTL}

    @staticmethod
    def _new_code() -> tuple[str, str]:
        code = f"{secrets.randbelow(10 ** limits.LOGIN_CODE_DIGITS):0{limits.LOGIN_CODE_DIGITS}d}"
        return code, secrets.token_urlsafe(16)

    async def reissue_code(self, raw_phone: str) -> tuple[str, str]:
        """The operator's way in (`steppe admin login-code`): a fresh code for the pending login."""
        phone, _ = normalize_phone(raw_phone)
        login = await self.core.store.latest_login(phone)
        now = self.core.clock.now()
        if login is None or login.expires < now:
            raise bad_request("PHONE_CODE_EMPTY", "no sign-in is waiting for this number: "
                                                  "start signing in first")
        code, _ = self._new_code()
        await self.core.store.update_login(
            login.hash_id, "sent", attempts=0, state="sent",
            code_hash=await self._code_hash(login.hash_id, code), expires=now + limits.LOGIN_CODE_TTL)
        return phone, code

    async def _login(self, raw_phone: str, hash_id: str) -> LoginCode:
        phone, _ = normalize_phone(raw_phone)
        login = await self.core.store.get_login(hash_id)
        if login is None or login.phone != phone:
            raise bad_request("PHONE_CODE_HASH_INVALID")
        if login.state == "used" or login.expires < self.core.clock.now():
            raise bad_request("PHONE_CODE_EXPIRED")
        return login

    async def sign_in(self, raw_phone: str, hash_id: str, code: str, device: str, app: str,
                      ip: str) -> SignedIn | dict[str, object]:
        login = await self._login(raw_phone, hash_id)
        if login.state != "sent":
            raise bad_request("PHONE_CODE_EXPIRED")
        if login.attempts >= limits.LOGIN_CODE_MAX_TRIES:
            raise bad_request("PHONE_CODE_EXPIRED", "too many wrong codes; ask for a new one")
        if not hmac.compare_digest(await self._code_hash(hash_id, code.strip()), login.code_hash):
            await self.core.store.update_login(hash_id, "sent", attempts=login.attempts + 1,
                                               state="sent")
            raise bad_request("PHONE_CODE_INVALID")
        user = await self.core.store.user_by_phone(login.phone)
        if user is None:
            await self._advance(login, "sent", "verified")
            return {"sign_up_required": True}
        account = await self.core.store.get_account(user.id)
        assert account is not None
        if account.password_hash:
            await self._advance(login, "sent", "password")
            raise RpcError(401, "SESSION_PASSWORD_NEEDED", account.password_hint)
        await self._advance(login, "sent", "used")
        return await self._authorize(user, device, app, ip)

    async def sign_up(self, raw_phone: str, hash_id: str, first_name: str, last_name: str,
                      device: str, app: str, ip: str) -> SignedIn:
        first, last = validate.first_name(first_name), validate.last_name(last_name)
        login = await self._login(raw_phone, hash_id)
        if login.state != "verified":
            raise bad_request("PHONE_CODE_EMPTY", "sign in with the code first")
        _, country = normalize_phone(login.phone)
        await self._advance(login, "verified", "used")
        user = await self.core.store.create_user(login.phone, country, first, last,
                                                 self.core.clock.now())
        return await self._authorize(user, device, app, ip)

    async def check_password(self, raw_phone: str, hash_id: str, password: str, device: str,
                             app: str, ip: str) -> SignedIn:
        login = await self._login(raw_phone, hash_id)
        if login.state != "password":
            raise bad_request("PHONE_CODE_EMPTY", "sign in with the code first")
        if login.attempts >= limits.LOGIN_CODE_MAX_TRIES:
            raise bad_request("PHONE_CODE_EXPIRED", "too many wrong passwords")
        user = await self.core.store.user_by_phone(login.phone)
        account = await self.core.store.get_account(user.id) if user else None
        if account is None or not account.password_hash:
            raise bad_request("PHONE_CODE_EXPIRED")
        if not await self.verify_password(account.password_hash, password):
            await self.core.store.update_login(hash_id, "password", attempts=login.attempts + 1,
                                               state="password")
            raise bad_request("PASSWORD_HASH_INVALID")
        await self._advance(login, "password", "used")
        return await self._authorize(account.user, device, app, ip)

    async def _advance(self, login: LoginCode, expect: str, state: str) -> None:
        if not await self.core.store.update_login(login.hash_id, expect,
                                                  attempts=login.attempts, state=state):
            raise bad_request("PHONE_CODE_EXPIRED")

    # ---- passwords ---------------------------------------------------------------------------

    @staticmethod
    async def hash_password(password: str) -> str:
        return await asyncio.to_thread(_hasher.hash, password)

    @staticmethod
    async def verify_password(stored: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(_hasher.verify, stored, password)
        except VerificationError:
            return False

    async def get_password(self, user_id: int) -> dict[str, object]:
        account = await self.core.store.get_account(user_id)
        assert account is not None
        return {"has_password": bool(account.password_hash), "hint": account.password_hint}

    async def update_password(self, user_id: int, current: str | None, new: str | None,
                              hint: str) -> dict[str, object]:
        account = await self.core.store.get_account(user_id)
        assert account is not None
        if account.password_hash:
            if not current or not await self.verify_password(account.password_hash, current):
                raise bad_request("PASSWORD_HASH_INVALID")
        if hint and new and hint.strip() == new:
            raise bad_request("PASSWORD_HINT_INVALID", "the hint must not be the password")
        new_hash = await self.hash_password(validate.password(new)) if new else None
        out = await self.core.store.set_password(user_id, new_hash, hint.strip()[:64] if new else "",
                                                 self.core.clock.now())
        self.core.publish(out)
        return {"has_password": new_hash is not None}

    # ---- tokens and authorizations -----------------------------------------------------------

    async def _authorize(self, user: User, device: str, app: str, ip: str) -> SignedIn:
        token = secrets.token_urlsafe(32)
        auth, out = await self.core.store.create_authorization(
            user.id, token_hash(token), device[:128], app[:128], ip[:64], self.core.clock.now())
        self.core.publish(out)
        user.is_self = True
        return SignedIn(token=token, user=user, authorization=auth)

    async def resolve(self, token: str) -> Authorization:
        """The authorization a token stands for; refused at once once terminated."""
        key = token_hash(token)
        auth = self._tokens.get(key)
        if auth is None:
            auth = await self.core.store.authorization_by_token(key)
            if auth is None:
                raise unauthorized("AUTH_KEY_UNREGISTERED")
            if len(self._tokens) > 100_000:
                self._tokens.clear()
            self._tokens[key] = auth
        now = self.core.clock.now()
        self._seen[auth.id] = now
        if self.on_active is not None:
            self.on_active(auth.user_id, now)
        return auth

    def forget(self, auth_ids: set[int]) -> None:
        for key, auth in list(self._tokens.items()):
            if auth.id in auth_ids:
                del self._tokens[key]

    async def flush_activity(self) -> None:
        """Write the batched last-active times (called every few seconds, not per request)."""
        seen, self._seen = self._seen, {}
        if seen:
            await self.core.store.touch_authorizations(seen)

    async def list_authorizations(self, user_id: int, current_id: int) -> list[Authorization]:
        auths = await self.core.store.list_authorizations(user_id)
        for auth in auths:
            auth.current = auth.id == current_id
            auth.last_active = max(auth.last_active, self._seen.get(auth.id, 0))
        return auths

    async def terminate(self, user_id: int, ids: list[int]) -> list[int]:
        gone = await self.core.store.delete_authorizations(user_id, ids)
        self.forget(set(gone))
        for auth_id in gone:
            self.core.publish_ephemeral(f"r.{auth_id}", str(user_id).encode())
        return gone

    async def terminate_others(self, user_id: int, current_id: int) -> list[int]:
        auths = await self.core.store.list_authorizations(user_id)
        return await self.terminate(user_id, [a.id for a in auths if a.id != current_id])
