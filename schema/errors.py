"""Errors that resolvers raise for client mistakes; they carry `extensions.code`."""

from __future__ import annotations

from graphql import GraphQLError


class ClientError(GraphQLError):
    """A mistake of the caller: shown as is, with a machine-readable code."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class UserInputError(ClientError):
    code = "BAD_USER_INPUT"


class NotFoundError(ClientError):
    code = "NOT_FOUND"
