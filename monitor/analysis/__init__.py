"""The analysis core: rules, matching, claims, comparison, alerts. Pure."""
