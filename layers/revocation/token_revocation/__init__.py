"""The revocation list both functions check (docs/revocation.md): shipped as a Lambda layer.

- entries.py: what a revocation is, its DynamoDB item, and the list's set lookup (pure);
- settings.py: REVOCATION_TABLE and its companions, validated once at cold start;
- dynamodb.py: the whole-table read, a signed DynamoDB Scan over http.client (no botocore);
- cache.py: the list in memory, read at most once per refresh interval, stale-if-error.

Standard library only: the authorizer imports nothing of boto3 or botocore (docs/revocation.md).
"""
