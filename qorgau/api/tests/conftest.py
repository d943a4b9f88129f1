from __future__ import annotations

from collections.abc import Callable

import pytest

from qorgau.accounts.models import User
from qorgau.api import tokens
from qorgau.api.tests.contract import ApiClient

ALL_SCOPES = ["read", "write", "evidence", "insights"]


@pytest.fixture
def token_for(db: None) -> Callable[..., str]:
    """token_for(user, scopes=all): a new token's secret."""
    def make(user: User, scopes: list[str] | None = None, days: int = 30) -> str:
        return tokens.create_token(user, "tests", scopes or ALL_SCOPES, days).secret
    return make


@pytest.fixture
def api_as(token_for: Callable[..., str]) -> Callable[..., ApiClient]:
    """api_as(user, scopes=all): a client calling the API with the user's token."""
    def make(user: User | None, scopes: list[str] | None = None) -> ApiClient:
        return ApiClient(token_for(user, scopes) if user else None)
    return make
