"""sensebot's platform-neutral core: it never imports a chat platform's library."""
