"""From a narrative to proposed events (issue 31): rule-based, offline, ru/kk/en."""
