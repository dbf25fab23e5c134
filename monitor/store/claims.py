"""Claims: the ledger, and recording an article's analysis in one transaction.

The ledger is every claim every article made; an analysis compares new claims
with it, and `record_analysis` stores the outcome (matches, claims, alerts)
atomically, so a crash never leaves half an analysis behind.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.claims import Claim
from monitor.analysis.engine import LedgerEntry
from monitor.analysis.events import CandidateIncident
from monitor.store.alerts import insert_alert, with_outlet
from monitor.store.candidates import insert_candidates
from monitor.store.engine import Sessions
from monitor.store.matches import replace_matches
from monitor.store.records import IncidentLink, claim_row, ledger_entry
from monitor.store.tables import ArticleRow, ClaimRow


class ClaimQueries(Sessions):
    """The claim table: an article's claims, the ledger by subject, and storing analyses."""

    def article_claims(self, article_id: int) -> list[LedgerEntry]:
        """The claims one article made, in its sentence order."""
        query = (
            select(ClaimRow)
            .where(ClaimRow.article_id == article_id)
            .order_by(col(ClaimRow.sentence_index), col(ClaimRow.id))
        )
        with self.read_session() as session:
            return [ledger_entry(row) for row in session.exec(query)]

    def ledger_is_empty(self) -> bool:
        """No claim stored and no seed article: a new database (or one on storage that
        did not survive a restart), which has no baseline to compare coverage with.

        Seed articles count even without claims, so a baseline that yielded none is
        not loaded again at every start; claims from feeds count, so a ledger built
        without seeds is left as it is.
        """
        with self.read_session() as session:
            claim = session.execute(sa.select(col(ClaimRow.id)).limit(1)).first()
            seed = session.execute(
                sa.select(col(ArticleRow.id)).where(col(ArticleRow.origin) == "seed").limit(1)
            ).first()
            return claim is None and seed is None

    def claim_count(self) -> int:
        """How many claims the ledger holds (the baseline's included)."""
        with self.read_session() as session:
            return int(session.execute(sa.select(sa.func.count(col(ClaimRow.id)))).scalar_one())

    def ledger(
        self, subjects: Collection[str], *, exclude_article: int | None = None
    ) -> list[LedgerEntry]:
        """Every stored claim about these subjects, oldest publication first.

        `exclude_article` leaves out one article's own claims: an edited article
        is compared with its previous revision separately, not with itself.
        """
        if not subjects:
            return []
        query = (
            select(ClaimRow)
            .where(col(ClaimRow.subject).in_(list(subjects)))
            .where(col(ClaimRow.article_id) != (exclude_article or -1))
            .order_by(col(ClaimRow.published_at), col(ClaimRow.id))
        )
        with self.read_session() as session:
            return [ledger_entry(row) for row in session.exec(query)]

    def record_analysis(
        self,
        article_id: int,
        *,
        links: Sequence[IncidentLink],
        is_new_incident: bool,
        matched_at: datetime,
        claims: Sequence[tuple[Claim, int | None]],
        alerts: Sequence[AlertDraft],
        seeded: bool,
        candidates: Sequence[CandidateIncident] = (),
    ) -> list[AlertDraft]:
        """Store an article's matches, claims, alerts and the candidate incidents it first
        reported in one transaction.

        Claims come with the id of the claim they corroborate (or None). An
        alert whose dedup key is already stored is skipped: a syndicated copy
        raises nothing. Returns the alerts actually added.

        Each alert's current side also keeps the page's own name for its outlet
        (`outlet`), so Slack can show it beside the source.

        Alerts are baseline (stored as seeded, never posted) when `seeded`, or when the
        article is a feed's backlog (feeds.add_feed_items) in its first text: a later
        revision of a backlog article is news like any edit.
        """
        with self.session() as session:
            outlet, is_backlog, revision = session.execute(
                sa.select(
                    col(ArticleRow.outlet), col(ArticleRow.is_backlog), col(ArticleRow.revision)
                ).where(col(ArticleRow.id) == article_id)
            ).one()
            # Extraction stores the first text as revision 1; a re-check's edit is 2 on.
            seeded = seeded or (is_backlog and revision <= 1)
            replace_matches(session, article_id, links, is_new_incident, matched_at)
            # Before the claims filed under them; a candidate already stored stays as it is.
            insert_candidates(session, candidates, article_id, matched_at)
            session.execute(sa.delete(ClaimRow).where(col(ClaimRow.article_id) == article_id))
            session.add_all(claim_row(article_id, c, earlier) for c, earlier in claims)
            added = [
                draft
                for draft in alerts
                if insert_alert(session, with_outlet(draft, outlet), article_id, matched_at, seeded)
                is not None
            ]
            session.commit()
        return added
