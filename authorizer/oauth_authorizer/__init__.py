"""Turns an OAuth 2.0 JWT access token into an API Gateway authorizer decision."""
