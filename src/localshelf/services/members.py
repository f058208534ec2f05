"""People (OAuth subjects) and their roles in organizations."""

from __future__ import annotations

from types import MappingProxyType

from pydantic import BaseModel
from sqlalchemy import select

from localshelf.domain.auth import Principal, Role
from localshelf.domain.ids import new_public_id
from localshelf.services.access import owned
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Membership, User


class MemberView(BaseModel):
    user_id: str
    subject: str
    organization_id: str
    role: Role


def _user(uow: UnitOfWork, subject: str) -> User:
    user = uow.session.scalar(select(User).where(User.subject == subject))
    if user is None:
        user = User(public_id=new_public_id("user"), subject=subject)
        uow.session.add(user)
        uow.session.flush()
    return user


def add_member(uow: UnitOfWork, organization_id: str, subject: str, role: Role) -> MemberView:
    """Give the person with this OAuth subject a role in the organization (or change it)."""
    organization = owned(uow, organization_id)
    user = _user(uow, subject)
    membership = uow.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organization_id == organization.id)
    )
    if membership is None:
        membership = Membership(user_id=user.id, organization_id=organization.id, role=role.value)
        uow.session.add(membership)
    membership.role = role.value
    uow.session.flush()
    return MemberView(user_id=user.public_id, subject=subject, organization_id=organization.public_id, role=role)


def principal_for_subject(uow: UnitOfWork, subject: str, scopes: frozenset[str]) -> Principal:
    """A signed-in person: scopes from the token, roles from memberships (first sight creates the user)."""
    user = _user(uow, subject)
    roles = {
        organization_id: Role(role)
        for organization_id, role in uow.session.execute(
            select(Membership.organization_id, Membership.role).where(Membership.user_id == user.id)
        )
    }
    return Principal(kind="user", name=subject, scopes=scopes, roles=MappingProxyType(roles), user_id=user.id)
