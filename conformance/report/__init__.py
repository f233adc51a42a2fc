"""Reports rendered from results: HTML."""
