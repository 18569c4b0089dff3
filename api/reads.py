"""Each HTTP request reads from one database (db.replicas): its statements, the release its
ETag comes from and /readyz's checks all go to the standby (or the primary) chosen first."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from db.replicas import OneDatabaseScope


class OneDatabasePerRequest:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with OneDatabaseScope():
            await self.app(scope, receive, send)
