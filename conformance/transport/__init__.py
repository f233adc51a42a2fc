"""HTTP transport: the httpx client and the SSE decoder. Knows nothing of checks."""
