"""Talking to the village backend: API models (the contract) and the HTTP client."""
