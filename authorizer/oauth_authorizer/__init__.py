"""Turns an OAuth 2.0 JWT access token into an API Gateway authorizer decision."""

from oauth_authorizer.deferred_imports import defer_unused

# Before any module of this package imports jwt: deferred_imports.py says why and how it is tested.
defer_unused()
