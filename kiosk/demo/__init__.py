"""The demo's Qt-free parts: the autoplay script format and the default session."""
