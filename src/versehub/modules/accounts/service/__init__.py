"""Services of the accounts module: keyword-only functions, split by concept.

Use-case functions (register, login, refresh, logout, grants, keys) own their unit of work: they
commit, then publish events, so subscribers never hear of work that was rolled back. Failed
logins and refresh-token reuse commit their counters and revocations *before* raising, because
the app's error handler rolls the session back on every error response. Helpers that only
stage changes (`issue_pair`, `revoke`, `record_failure`, the purges) leave committing to the
caller.
"""
