"""Browser tests of the frontier theme (Playwright driving Debian's Chromium)."""
