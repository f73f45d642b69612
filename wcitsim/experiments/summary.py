"""What ``wcitsim run`` reports of a run, tallied batch by batch as its replications stream.

:class:`RunTally` keeps running sums and counts (:mod:`~wcitsim.experiments.tally`)
of the split, the per-state table, the final text, the field and the record's vote,
so a run holds the same memory for a thousand replications as for a million, and
the same replications give the same statistics however they were batched. Shares,
distributions, modes, medians and 90 % intervals are exact (numpy's own, from
counts); the means per state and per session are sums in replication order; the
means of one number per replication (the eligible signatories, each clause's text,
the record vote's tallies and error) are exact sums, correctly rounded. Against
numpy's means of the whole stack of replications, the means agree to rounding
(a few units in the last place), since numpy's summation order depends on the
stack's memory layout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wcitsim.core.outcome import Outcome
from wcitsim.core.world import World
from wcitsim.data import Dataset
from wcitsim.experiments.instruments import RECORD_VOTE, FieldTally, VoteTally, record_vote_columns
from wcitsim.experiments.tally import Counts, RowSum
from wcitsim.metrics import country_scores, known_decisions

__all__ = ["INTERVAL", "RunTally"]

#: The central interval of the split's distribution that a run reports.
INTERVAL = 0.9


class RunTally:
    """The split, the per-state table, the text, the field and the record's vote of the replications added."""

    def __init__(self, world: World, data: Dataset) -> None:
        self.world, self.facts = world, data.facts
        self.known_total = int(known_decisions(data.record["decision"]).sum())
        self.known = known_decisions(world.record)
        self.pool = ~self.known if (~self.known).any() else np.ones(world.n, dtype=bool)
        k = world.agenda.k
        self.signed, self.known_signed = Counts(), Counts()
        self.eligible = np.zeros((int(self.known.sum()) + 1, int(self.pool.sum()) + 1), dtype=np.int64)
        self.sign_count = np.zeros(world.n, dtype=np.int64)
        self.vote_sum = np.zeros((world.n, k), dtype=np.int64)
        self.probability, self.gain, self.position, self.projected = RowSum(), RowSum(), RowSum(), RowSum()
        self.texts = [Counts() for _ in range(k)]
        self.matches = Counts()
        self.contested = np.zeros(k, dtype=np.int64)
        self.declared = np.zeros(k, dtype=np.int64)
        self.floor = [RowSum() for _ in range(k)]  # the tallies of the clauses that went to a vote
        self.field = FieldTally()
        facts, clause = data.facts, RECORD_VOTE
        self.vote = None
        if clause in facts.votes and clause in world.agenda.ids:
            self.vote = VoteTally(facts.votes[clause], clause, int(self.known.sum()), facts.eligible)
        self.count = 0

    def add(self, outcome: Outcome) -> dict | None:
        """Add a batch of replications; return its record-vote columns (None without the record's clause)."""
        o, agenda = outcome, self.world.agenda
        self.signed.add(o.signed.sum(axis=1))
        known_signed, pool_signed = o.signed[:, self.known].sum(axis=1), o.signed[:, self.pool].sum(axis=1)
        self.known_signed.add(known_signed)
        np.add.at(self.eligible, (known_signed, pool_signed), 1)
        self.sign_count += o.signed.sum(axis=0)
        self.vote_sum += o.votes.sum(axis=0, dtype=np.int64)
        self.probability.add(o.probability)
        self.gain.add(o.gain)
        self.position.add(o.position)
        self.projected.add(o.projected)
        comparable = np.isfinite(agenda.final_acts)
        self.matches.add((o.text == agenda.final_acts)[:, comparable].sum(axis=1))
        for k, counts in enumerate(self.texts):
            counts.add(o.text[:, k])
            voted = o.contested[:, k] & (o.tallies[:, k].sum(axis=1) > 0)
            self.floor[k].add(o.tallies[voted, k])
        self.contested += o.contested.sum(axis=0)
        self.declared += o.declared.sum(axis=0)
        self.field.add(o.field)
        columns = None
        if self.vote is not None:
            columns = record_vote_columns(self.world, o, self.facts, self.vote.clause)
            if columns is not None:
                self.vote.add(columns)
        self.count += len(o.signed)
        return columns

    def countries(self) -> pd.DataFrame:
        """Per seated state: the record, P(sign), the share of replications signing, gain, mean positions."""
        w = self.world
        frame = pd.DataFrame(
            {
                "iso3": list(w.iso3),
                "name": list(w.names),
                "itu_region": list(w.region),
                "group": list(w.group),
                "record": w.record.to_numpy(),
                "p_sign": self.probability.mean(),
                "sign_rate": self.sign_count / self.count,
                "gain": self.gain.mean(),
                "capability": w.capability,
            }
        )
        position = self.position.mean()
        for k, clause in enumerate(w.agenda.ids):
            frame[f"position_{clause}"] = position[:, k]
            frame[f"vote_{clause}"] = self.vote_sum[:, k] / self.count
        frame["vote_weight"] = w.eligibility
        return frame

    def split(self) -> dict:
        """The simulated split against the record, on two stated bases (:func:`wcitsim.metrics.split_summary`)."""
        record, facts, n = self.world.record, self.facts, self.count
        unplaced = facts.eligible - self.known_total
        known_signed, pooled = np.arange(self.eligible.shape[0]), np.arange(self.eligible.shape[1])
        # each replication's eligible signatories, computed as metrics.eligible_signatories computes them
        values = known_signed[:, None] + unplaced * (pooled[None, :].astype(float) / int(self.pool.sum()))
        eligible = Counts()
        eligible.add_counts(values.ravel(), self.eligible.ravel())
        tail = (1 - INTERVAL) / 2

        def interval(counts: Counts) -> tuple[float, float]:
            return counts.quantile(tail), counts.quantile(1 - tail)

        return {
            "seated": int(self.world.n),
            "signed_mean": self.signed.mean(),
            "signed_interval": interval(self.signed),
            "share_mean": int(self.sign_count.sum()) / (n * self.world.n),
            "known_states": {
                "basis": "signatories among the seated states whose decision is known",
                "n": int(self.known.sum()),
                "record_signed": int((record == "signed").sum()),
                "record_not_signed": int((record == "not_signed").sum()),
                "signed_mean": self.known_signed.mean(),
                "signed_interval": interval(self.known_signed),
            },
            "eligible": {
                "basis": f"signatories among the known states + {unplaced} × the share signing among the unknown states",
                "eligible": facts.eligible,
                "unplaced": unplaced,
                "record_signed": facts.signed,
                "record_not_signed": facts.eligible - facts.signed,
                "signed_mean": eligible.mean(),
                "signed_median": eligible.median(),
                "signed_interval": interval(eligible),
            },
        }

    def text(self) -> dict:
        """The final text against the Final Acts, clause by clause (:func:`wcitsim.metrics.text_summary`)."""
        agenda, n = self.world.agenda, self.count
        clauses = []
        for k, clause in enumerate(agenda.ids):
            counts, fa = self.texts[k], agenda.final_acts[k]
            modal = float(counts.mode())
            floor = self.floor[k].mean()
            clauses.append(
                {
                    "id": clause,
                    "final_acts": None if np.isnan(fa) else float(fa),
                    "final_acts_label": None if np.isnan(fa) else agenda.label_of(k, fa),
                    "modal": modal,
                    "modal_label": agenda.label_of(k, modal),
                    "mean": counts.mean(),
                    "match_share": None if np.isnan(fa) else counts.count(fa) / n,
                    "status_quo_share": counts.count(agenda.status_quo[k]) / n,
                    "contested_share": int(self.contested[k]) / n,
                    "declared_share": int(self.declared[k]) / n,
                    "votes_mean": floor.tolist() if self.floor[k].count else None,
                }
            )
        comparable = int(np.isfinite(agenda.final_acts).sum())
        return {
            "clauses": clauses,
            "comparable": comparable,
            "matches_mean": self.matches.mean(),
            "matches_distribution": {str(m): self.matches.count(m) / n for m in range(comparable + 1)},
            "share_all_but_two": sum(
                self.matches.count(m) for m in range(max(comparable - 2, 0), comparable + 1)
            )
            / n,
        }

    def summary(self) -> dict:
        """The statistics of ``wcitsim run --json``: split, countries, text, field, projected signatories, record vote."""
        w = self.world
        probability = pd.Series(self.probability.mean(), index=list(w.iso3))
        region = pd.Series(list(w.region), index=list(w.iso3))
        projected = self.projected.mean()
        return {
            "split": self.split(),
            "countries": country_scores(probability, w.record, region),
            "text": self.text(),
            "field": self.field.summary(),
            "projected_signatories": [] if projected is None else projected.tolist(),
            "record_vote": None if self.vote is None or not self.vote.count else self.vote.summary(),
        }
