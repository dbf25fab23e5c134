"""The storage edge's one entry point: `Database`, every read and write the pipeline and
CLI make, composed from the query groups of each entity.

Only the store and the alembic migrations touch the schema. Callers get plain
frozen values (FeedState, ArticleRecord), never rows, so a session's lifetime
never leaks out of the store.
"""

from __future__ import annotations

from monitor.store.alerts import AlertQueries
from monitor.store.articles import ArticleQueries
from monitor.store.candidates import CandidateQueries
from monitor.store.claims import ClaimQueries
from monitor.store.engine import SQLITE_BUSY_TIMEOUT_S, open_engine
from monitor.store.feedback import FeedbackQueries
from monitor.store.feeds import FeedQueries
from monitor.store.leases import LeaseQueries
from monitor.store.matches import MatchQueries
from monitor.store.revisions import RevisionQueries
from monitor.store.subscriptions import SubscriptionQueries


# A facade over mixins, not one object per entity: pipeline, cli, notify, tests and bench
# call `database.claim_due_feeds(...)`, `database.mark_delivered(...)` and so on, and
# that API stays as it is. Each mixin is one entity's queries over the shared engine and
# sessions (engine.Sessions), and none calls another's methods.
class Database(
    FeedQueries,
    ArticleQueries,
    RevisionQueries,
    MatchQueries,
    CandidateQueries,
    ClaimQueries,
    AlertQueries,
    FeedbackQueries,
    LeaseQueries,
    SubscriptionQueries,
):
    """The storage edge: every read and write the pipeline and CLI make."""

    @classmethod
    def open(cls, url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Database:
        """Connect, upgrade the schema, and return a ready database."""
        return cls(open_engine(url, busy_timeout_s=busy_timeout_s))
