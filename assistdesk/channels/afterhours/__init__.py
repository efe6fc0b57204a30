"""The after-hours line (seed 002 "Extra Time"): PIN check, Extra Time now, on-call rota."""
