"""Who may do what: the one authorisation function every action in the app goes through.

An :class:`Identity` is who is acting (the signed-in subject, or the one local identity of
single-user mode) and their :class:`~outcomes.config.Role`; :func:`authorise` raises
:class:`NotAllowed` unless the role's row of :data:`PERMISSIONS` holds the action. It is
called where the action is performed (the function that writes the note, saves the SQL,
closes the period), so a hidden button is a convenience, never the control.

>>> ana = Identity("ana@example.com", Role.analyst)
>>> authorise(ana, Action.save_sql).subject
'ana@example.com'
>>> try:
...     authorise(Identity("otto@example.com", Role.operator), Action.close_period)
... except NotAllowed as exc:
...     print(exc)
otto@example.com (operator) may not close a period; that needs the admin role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from outcomes.config import AuthSettings, Role
from outcomes.errors import OutcomesError


class Action(StrEnum):
    """Everything a person can do in the app that changes something or runs their SQL."""

    annotate = "annotate"
    acknowledge = "acknowledge"
    review = "review"
    sign_off = "sign_off"
    preview_sql = "preview_sql"
    save_sql = "save_sql"
    close_period = "close_period"


# Plain words for messages ("may not <words>").
ACTION_WORDS: dict[Action, str] = {
    Action.annotate: "add notes",
    Action.acknowledge: "acknowledge alerts",
    Action.review: "record output-review verdicts",
    Action.sign_off: "sign a week off",
    Action.preview_sql: "preview SQL in the sandbox",
    Action.save_sql: "save metric SQL",
    Action.close_period: "close a period",
}

_OPERATOR = frozenset({Action.annotate, Action.acknowledge, Action.review, Action.sign_off})
_ANALYST = _OPERATOR | {Action.preview_sql, Action.save_sql}

# The role -> permissions table; roles are not ranked anywhere else.
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.viewer: frozenset(),
    Role.operator: _OPERATOR,
    Role.analyst: _ANALYST,
    Role.admin: frozenset(Action),
}

# When a person's groups map to several roles, the one with the most permissions wins.
_RANK = (Role.viewer, Role.operator, Role.analyst, Role.admin)


class NotAllowed(OutcomesError, PermissionError):
    """The identity (or nobody, when not signed in) may not take the action."""


@dataclass(frozen=True)
class Identity:
    """Who is acting: ``subject`` is what notes, sign-offs and closes record."""

    subject: str
    role: Role
    signed_in: bool = True  # False: the single-user mode's local identity

    @property
    def label(self) -> str:
        """``'ana@example.com (analyst)'``."""
        return f"{self.subject} ({self.role.value})"


def may(identity: Identity | None, action: Action | str) -> bool:
    """Whether ``identity`` may take ``action`` (False for nobody).

    >>> may(Identity("v", Role.viewer), "annotate"), may(Identity("o", Role.operator), "annotate")
    (False, True)
    """
    if identity is None or not identity.subject.strip():
        return False
    return Action(action) in PERMISSIONS[identity.role]


def authorise(identity: Identity | None, action: Action | str) -> Identity:
    """``identity`` if it may take ``action``; :class:`NotAllowed` with the reason otherwise."""
    action = Action(action)
    words = ACTION_WORDS[action]
    if identity is None or not identity.subject.strip():
        raise NotAllowed(f"Sign in first: nobody may {words} without an identity.")
    if action not in PERMISSIONS[identity.role]:
        roles = [r.value for r in _RANK if action in PERMISSIONS[r]]
        needed = " or ".join(roles)
        raise NotAllowed(
            f"{identity.label} may not {words}; that needs the {needed} role"
            f"{'s' if len(roles) > 1 else ''}."
        )
    return identity


def role_from_claims(claims: Mapping[str, object], auth: AuthSettings) -> Role:
    """The role that the identity provider's ``auth.role_claim`` maps to through
    ``auth.group_roles``: the strongest of the person's groups, viewer when none maps.

    >>> role_from_claims({"groups": ["staff", "outcomes-analysts"]}, AuthSettings())
    <Role.analyst: 'analyst'>
    >>> role_from_claims({}, AuthSettings())
    <Role.viewer: 'viewer'>
    """
    value = claims.get(auth.role_claim)
    groups: Iterable[object]
    if isinstance(value, str):
        groups = value.replace(",", " ").split()
    elif isinstance(value, Iterable):
        groups = value
    else:
        groups = ()
    roles = {auth.group_roles[str(g)] for g in groups if str(g) in auth.group_roles}
    return max(roles, key=_RANK.index, default=Role.viewer)


def identity_from_claims(claims: Mapping[str, object], auth: AuthSettings) -> Identity | None:
    """The signed-in identity: ``auth.identity_claim`` (falling back to ``sub``) and the
    mapped role; None when the claims name nobody.

    >>> identity_from_claims({"sub": "u1", "email": "ana@example.com"}, AuthSettings()).label
    'ana@example.com (viewer)'
    """
    subject = claims.get(auth.identity_claim) or claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        return None
    return Identity(subject.strip(), role_from_claims(claims, auth))


def local_identity(auth: AuthSettings) -> Identity:
    """The single-user mode's identity (loopback only, no provider), from settings.

    >>> local_identity(AuthSettings()).label
    'local (admin)'
    """
    return Identity(auth.local_user, auth.local_role, signed_in=False)
