"""What can go wrong with a customer account."""

from __future__ import annotations

from shop.core.errors import DomainError, InvalidInput


class InvalidCredentials(DomainError):
    """Wrong e-mail or password, or a disabled account: deliberately not told apart."""

    code = "invalid-credentials"
    status = 401


class InvalidResetToken(InvalidInput):
    code = "invalid-reset-token"
