"""The items API: per-owner items on DynamoDB, behind the OAuth 2.0 authorizer."""
