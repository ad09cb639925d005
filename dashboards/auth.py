"""The local users file: who may sign in to the dashboard, with which role and teams.

    users:
      - username: jo.bloggs
        role: team_lead                     # compliance_officer | team_lead | auditor
        teams: [acute/ward-7]               # a team lead's teams; sub-teams are included
        password: scrypt$16384$8$1$<salt>$<hash>

Passwords are stored only as salted scrypt hashes. Add or replace a user with `add_user` (the CLI's
`socialaudit users add`). Where an organisation signs in through its identity provider (OIDC),
the same file maps each e-mail address to a role and teams, and entries need no password.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from dashboards.access import ROLES, Viewer
from socialaudit.settings import default_db_path

COOKIE_SECRET_FILE = ".dashboard_cookie_secret"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_DUMMY_HASH = "scrypt$16384$8$1$00000000000000000000000000000000$" + "00" * 32


class UsersFileError(Exception):
    """The users file is missing or malformed; the message says which entry."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    teams: tuple[str, ...]
    password_hash: str | None  # None for users who sign in through the identity provider

    def viewer(self) -> Viewer:
        return Viewer(self.username, self.role, self.teams)


def users_path(db_path: Path | None = None) -> Path:
    """SOCIALAUDIT_USERS, else users.yaml beside the main database."""
    configured = os.environ.get("SOCIALAUDIT_USERS")
    return Path(configured) if configured else (db_path or default_db_path()).parent / "users.yaml"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)


def load_users(path: Path) -> dict[str, User]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UsersFileError(f"No users file at {path}.") from None
    except yaml.YAMLError as error:
        raise UsersFileError(f"{path.name} is not valid YAML: {error}") from None
    users: dict[str, User] = {}
    for index, entry in enumerate(raw.get("users") or []):
        username = str(entry.get("username") or "").strip()
        role = entry.get("role")
        if not username or role not in ROLES:
            raise UsersFileError(
                f"{path.name}, user {index + 1}: needs a username and a role among "
                f"{', '.join(ROLES)}"
            )
        users[username] = User(
            username, role, tuple(entry.get("teams") or ()), entry.get("password")
        )
    return users


def authenticate(users: dict[str, User], username: str, password: str) -> Viewer | None:
    user = users.get(username.strip())
    if user is None or not user.password_hash:
        verify_password(password, _DUMMY_HASH)  # the same cost as a real check
        return None
    return user.viewer() if verify_password(password, user.password_hash) else None


def add_user(
    path: Path, username: str, role: str, teams: list[str], password: str | None = None
) -> None:
    """Add a user to the file, or replace the one with the same username. Without a password the
    user can only sign in through the organisation's identity provider."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if role == "team_lead" and not teams:
        raise ValueError("a team lead needs at least one team")
    existing = load_users(path) if path.exists() else {}
    existing[username] = User(
        username, role, tuple(teams), hash_password(password) if password else None
    )
    entries = [
        {"username": u.username, "role": u.role, "teams": list(u.teams)}
        | ({"password": u.password_hash} if u.password_hash else {})
        for u in existing.values()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Dashboard users: see docs/dashboard.md. Add one with `socialaudit users add`.\n"
        + yaml.safe_dump({"users": entries}, sort_keys=False),
        encoding="utf-8",
    )
    os.chmod(path, 0o600)


def cookie_secret(db_path: Path) -> str:
    """The key Streamlit signs its cookies with, for `--server.cookieSecret`.

    Generated at the first start and kept, readable by its owner only, beside the database, so
    it survives restarts and is never a value anyone else knows (a secret written in the
    repository, or left to a default, would let anyone forge the cookies)."""
    path = db_path.parent / COOKIE_SECRET_FILE
    if path.exists() and (kept := path.read_text(encoding="utf-8").strip()):
        os.chmod(path, 0o600)
        return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    os.chmod(path, 0o600)  # the mode above applies only when the file is new
    return secret
