"""The pure core of AssistDesk: calendars, SLA, rating, allowances, invoicing, money.

Nothing here imports Django, reads a clock or reads settings: every instant is an
argument (`now`), every business parameter comes in as data. That is what makes these
rules testable on their own and replayable by `assistdesk simulate`.
"""
