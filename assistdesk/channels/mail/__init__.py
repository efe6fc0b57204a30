"""Mail as bytes in, facts out: parsing, classification, quote stripping, sanitising.

Pure Python (stdlib `email` + `nh3`); nothing here imports Django, reads settings or the
clock, so it can be tested and benchmarked on its own. The Django side (models,
services, IMAP intake, outbox) lives one level up in `assistdesk.channels`.
"""
