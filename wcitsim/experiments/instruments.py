"""What a run says about the question: the field's shape over the sessions, and the record's one vote.

The field (:attr:`~wcitsim.core.outcome.Outcome.field`) is summarised per session
and view as means over replications, with the distribution of the pole count at
the opening and the deadline. The record's vote is the 13 December 2012 vote on
the preamble's right of access (77–33–8, ``facts.toml`` ``[votes.access_right]``):
per replication, whether the clause went to a vote, whose motion it was, the
tally of the delegations entitled to vote, and whether the text holds it.

Who votes: only delegations present and accredited vote. The record says 144
were entitled to sign, and names the decision of every state whose decision is
known, each of them one of the 144; which of the other seated states were the
remaining ones is not documented. So a known state's vote counts 1 and an
unknown state's counts (144 − known) / unknown, its chance of being one of
them: the tally is the expected tally of the eligible, never a guess about a
particular state. 118 of them voted (77 + 33 + 8); the model does not say who
stayed away, so the tally is also given scaled to 118 voters, and the error is
measured on that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import FIELD_VIEWS, Outcome
from wcitsim.core.rules import delegation_votes
from wcitsim.core.world import World
from wcitsim.experiments.tally import Counts, ExactSum, RowSum
from wcitsim.metrics import known_decisions

__all__ = [
    "RECORD_VOTE",
    "FieldTally",
    "VoteTally",
    "field_summary",
    "record_vote",
    "record_vote_columns",
    "record_vote_line",
    "record_vote_table",
    "trajectory_line",
    "vote_mismatch",
    "vote_summary",
]

#: A field is binary when it has two poles and the split into two camps captures this share of the
#: between-pole variance, in this share of the replications (issue targets, docs/model.md "The field").
BINARY_BIPOLARITY = 0.85
BINARY_SHARE = 0.8
#: The clause of the record's vote (a key of ``[votes]`` in facts.toml).
RECORD_VOTE = "access_right"
COUNTS = ("yes", "no", "abstain")


def field_summary(outcome: Outcome) -> dict:
    """Per view (interest, table) and measure: the mean over replications per session, and the poles' spread."""
    tally = FieldTally()
    tally.add(outcome.field)
    return tally.summary()


class FieldTally:
    """The field's summary (:func:`field_summary`) as running sums and counts over batches of replications.

    Each session's means and binary share are over the replications whose field was
    measured in that session (every one, unless a long run measured the sessions
    between the opening and the deadline in its first replications only,
    :data:`~wcitsim.experiments.runner.TRACED`); ``measured`` says how many.
    """

    def __init__(self) -> None:
        self.sums = [RowSum() for _ in FIELD_VIEWS]  # the measures, 0 where not measured: (S+1) × M
        self.measured: list[np.ndarray | int] = [0 for _ in FIELD_VIEWS]  # replications measured, per session
        self.binary: list[np.ndarray | int] = [0 for _ in FIELD_VIEWS]  # replications binary, per session
        self.poles = [{"opening": Counts(), "deadline": Counts()} for _ in FIELD_VIEWS]
        self.count = 0

    def add(self, field: np.ndarray) -> None:
        """Add a batch's field (``Outcome.field``, replications × (S+1) × 2 × M)."""
        poles, bipolar = FIELD_MEASURES.index("clusters"), FIELD_MEASURES.index("bipolarity")
        for v in range(len(FIELD_VIEWS)):
            values = field[:, :, v, :]
            finite = np.isfinite(values)
            self.sums[v].add(np.where(finite, values, 0))
            self.measured[v] = self.measured[v] + finite[..., 0].sum(axis=0)
            binary = (values[..., poles] == 2) & (values[..., bipolar] >= BINARY_BIPOLARITY)
            self.binary[v] = self.binary[v] + binary.sum(axis=0)
            for moment, s in (("opening", 0), ("deadline", -1)):
                counts = values[:, s, poles]
                self.poles[v][moment].add(counts[np.isfinite(counts)])
        self.count += len(field)

    def summary(self) -> dict:
        """The summary of the replications added, as :func:`field_summary` gives it."""
        out: dict = {
            "measures": list(FIELD_MEASURES),
            "basis": (
                "positions in the clause space, one axis per clause; 'interest' is what capitals vote and sign by, "
                "'table' the positions delegations hold at the table (docs/model.md, 'The field')"
            ),
        }
        for v, view in enumerate(FIELD_VIEWS):
            measured = np.asarray(self.measured[v])
            total = self.sums[v].total
            if measured.min() == self.count:  # every replication measured: the sum over the count, as ever
                means = self.sums[v].mean()
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    means = np.where(measured[:, None] > 0, total / measured[:, None], np.nan)
            out[view] = {m: [_num(x) for x in means[:, j]] for j, m in enumerate(FIELD_MEASURES)}
            with np.errstate(invalid="ignore", divide="ignore"):
                binary = np.where(measured > 0, self.binary[v] / np.maximum(measured, 1), np.nan)
            turned = np.flatnonzero(binary >= BINARY_SHARE)
            out[view]["binary_share"] = [_num(x) for x in binary]
            out[view]["binary_from_session"] = int(turned[0]) if len(turned) else None
            out[view]["measured"] = [int(m) for m in measured]
            for moment, counts in self.poles[v].items():
                seen = sum(counts.counts.values())
                out[view][f"poles_{moment}"] = {int(k): counts.count(k) / seen for k in sorted(counts.counts)}
        return out


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def trajectory_line(summary: dict, view: str) -> str:
    """One line, e.g. '3.4 poles at the opening → 2.0 at the deadline, bipolarity 0.55 → 0.93, ...'."""
    v = summary[view]
    first, last = 0, len(v["clusters"]) - 1
    turn = v.get("binary_from_session")
    when = (
        "never binary"
        if turn is None
        else "binary from the opening"
        if turn == 0
        else f"binary from session {turn}"
    )
    return (
        f"{when}; "
        f"{v['clusters'][first]:.1f} poles at the opening → {v['clusters'][last]:.1f} at the deadline, "
        f"bipolarity {v['bipolarity'][first]:.2f} → {v['bipolarity'][last]:.2f}, "
        f"first component {v['first_component'][first]:.2f} → {v['first_component'][last]:.2f}, "
        f"Esteban–Ray over groups {v['er_groups'][first]:.2f} → {v['er_groups'][last]:.2f}"
    )


def _clause(world: World, facts, clause: str):
    record = facts.votes.get(clause)
    if record is None or clause not in world.agenda.ids:
        return None, None
    return world.agenda.ids.index(clause), record


def record_vote_table(
    world: World, outcome: Outcome, facts, clause: str = RECORD_VOTE, first: int = 0
) -> pd.DataFrame | None:
    """Per replication (numbered from ``first``): the record's motion (the Final Acts' option against 1988)
    before this floor.

    Columns: whether the clause went to a vote (``to_vote``: on the chair's draft
    or, ``by_motion``, moved from the floor) and the yes-voter with most at stake
    on the draft's option (``mover``);
    the tally of the eligible on the record's motion, expected and scaled to the
    record's voters; its strongest supporter; whether the final text holds the
    record's option (``adopted``).
    """
    columns = record_vote_columns(world, outcome, facts, clause)
    if columns is None:
        return None
    rows = len(columns["to_vote"])
    text = {name: pd.array(columns[name], dtype="str") for name in ("mover", "supporter")}
    return pd.DataFrame({"replication": np.arange(first, first + rows), **columns, **text})


def record_vote_columns(world: World, outcome: Outcome, facts, clause: str = RECORD_VOTE) -> dict | None:
    """The columns of :func:`record_vote_table` but the replication, as arrays (None without the clause)."""
    k, record = _clause(world, facts, clause)
    if k is None:
        return None
    weights = world.eligibility
    sq = world.agenda.status_quo[k]
    motion = world.agenda.final_acts[k]
    if not np.isfinite(motion):
        return None
    view = world.signing_view(outcome.interest, outcome.position)[:, :, k : k + 1]
    band, a = world.scenario.voting.abstain_band, world.signing.exponent
    votes = delegation_votes(np.full((len(view), 1), motion), np.array([sq]), view, a, band)[..., 0]
    # summed along each replication's row (not a matrix product, whose rounding depends on the batch)
    tally = np.stack([np.where(votes == cast, weights, 0.0).sum(axis=1) for cast in (1, -1, 0)], axis=-1)
    voted = record["yes"] + record["no"] + record["abstain"]
    scaled = tally * voted / weights.sum()
    salience = (outcome.salience / outcome.salience.sum(axis=-1, keepdims=True))[:, :, k]
    iso3 = np.asarray(world.iso3, dtype=object)

    def strongest(option: np.ndarray, cast: np.ndarray) -> np.ndarray:
        stake = salience * (np.abs(sq - view[..., 0]) ** a - np.abs(option[:, None] - view[..., 0]) ** a)
        return iso3[np.where((cast == 1) & (weights > 0), stake, -np.inf).argmax(axis=1)]

    to_vote = outcome.contested[:, k]
    moved = outcome.moved[:, k]
    mover = np.where(
        moved,
        iso3[np.maximum(outcome.mover[:, k], 0)],
        strongest(outcome.final_draft[:, k], outcome.votes[:, :, k]),
    )
    return {
        "to_vote": to_vote,
        "by_motion": moved,
        "mover": np.where(to_vote, mover, None),
        "supporter": np.where((votes == 1).any(axis=1), strongest(np.full(len(votes), motion), votes), None),
        **{f"{c}_eligible": tally[:, j] for j, c in enumerate(COUNTS)},
        **{f"{c}_of_{voted}": scaled[:, j] for j, c in enumerate(COUNTS)},
        "passes": tally[:, 0] > tally[:, 1],
        "adopted": outcome.text[:, k] == motion,
    }


def record_vote(world: World, outcome: Outcome, facts, clause: str = RECORD_VOTE) -> dict | None:
    """The record's vote against the model's replications (JSON-ready); None if the agenda lacks the clause."""
    columns = record_vote_columns(world, outcome, facts, clause)
    if columns is None:
        return None
    known = int(known_decisions(world.record).sum())
    tally = VoteTally(facts.votes[clause], clause, known, facts.eligible)
    tally.add(columns)
    return tally.summary()


def vote_mismatch(world: World, outcome: Outcome, facts, clause: str = RECORD_VOTE) -> float | None:
    """The share of the record's voters this floor places differently, averaged over the replications.

    Per replication: Σ over yes, no and abstain of |the tally scaled to the record's voters −
    the record's count|, over twice the record's voters (0: the record's tally; 1: every voter
    moved). None if the agenda lacks the clause or the record has no vote on it.
    """
    columns = record_vote_columns(world, outcome, facts, clause)
    if columns is None:
        return None
    record = facts.votes[clause]
    voted = sum(record[c] for c in COUNTS)
    miss = sum(np.abs(columns[f"{c}_of_{voted}"] - record[c]) for c in COUNTS)
    return float(np.mean(miss) / (2 * voted))


def vote_summary(table: pd.DataFrame, record: dict, clause: str, known: int, eligible: int) -> dict:
    """Summarise :func:`record_vote_table` rows (of one run or pooled over folds) against the record."""
    tally = VoteTally(record, clause, known, eligible)
    tally.add({name: table[name].to_numpy() for name in table.columns})
    return tally.summary()


def _present(values: np.ndarray) -> list:
    """The values that are not missing (None, NaN)."""
    return [v for v in values.tolist() if v is not None and v == v]


class VoteTally:
    """The summary of the record's vote (:func:`vote_summary`) as running sums and counts over batches.

    Shares and the movers' and supporters' distributions are exact; the mean tallies
    and error are exact sums, correctly rounded.
    """

    SHARES = ("to_vote", "passes", "adopted", "adopted_by_vote", "adopted_by_motion")

    def __init__(self, record: dict, clause: str, known: int, eligible: int) -> None:
        self.record, self.clause, self.known, self.eligible = record, clause, known, eligible
        self.voted = record["yes"] + record["no"] + record["abstain"]
        self.shares = dict.fromkeys(self.SHARES, 0)
        self.tallies = ExactSum(2 * len(COUNTS) + 1)  # eligible, scaled, the error
        self.movers, self.supporters = Counts(), Counts()
        self.count = 0

    def add(self, columns) -> None:
        """Add a batch of :func:`record_vote_columns` (or a table's columns by name)."""
        went = np.asarray(columns["to_vote"], dtype=bool)
        adopted = np.asarray(columns["adopted"], dtype=bool)
        for name, rows in (
            ("to_vote", went),
            ("passes", np.asarray(columns["passes"], dtype=bool)),
            ("adopted", adopted),
            ("adopted_by_vote", adopted & went),
            ("adopted_by_motion", adopted & np.asarray(columns["by_motion"], dtype=bool)),
        ):
            self.shares[name] += int(rows.sum())
        target = np.array([self.record[c] for c in COUNTS], dtype=float)
        scaled = np.stack([np.asarray(columns[f"{c}_of_{self.voted}"], dtype=float) for c in COUNTS], axis=1)
        error = np.abs(scaled - target).mean(axis=1)  # the mean absolute error of the three counts
        eligible = [np.asarray(columns[f"{c}_eligible"], dtype=float) for c in COUNTS]
        self.tallies.add(np.column_stack([*eligible, scaled, error]))
        self.movers.add(_present(np.asarray(columns["mover"], dtype=object)[went]))
        self.supporters.add(_present(np.asarray(columns["supporter"], dtype=object)))
        self.count += len(went)

    def summary(self) -> dict:
        """The summary of the replications added, as :func:`vote_summary` gives it."""
        record, n, means = self.record, self.count, self.tallies.mean()

        def top(counts: Counts) -> dict[str, float]:
            return {str(k): c / counts.total for k, c in counts.by_count()[:5]}

        return {
            "clause": self.clause,
            "record": {
                **{c: int(record[c]) for c in COUNTS},
                "moved_by": str(record.get("moved_by", "")),
                "date": str(record.get("date", "")),
            },
            "basis": (
                f"the record's motion (the Final Acts' option against 1988) before the model's floor; delegations "
                f"entitled to vote: the {self.known} seated states whose decision is known count 1, the others "
                f"their chance of being among the {self.eligible} eligible; tallies also scaled to the "
                f"{self.voted} who voted"
            ),
            "replications": n,
            **{f"share_{name}": self.shares[name] / n for name in self.SHARES},
            "tally_eligible": means[: len(COUNTS)],
            "tally_scaled": means[len(COUNTS) : 2 * len(COUNTS)],
            "mae": means[-1],
            "movers": top(self.movers),
            "supporters": top(self.supporters),
            "share_moved_by_record_mover": self.movers.count(record.get("moved_by")) / n,
        }


def record_vote_line(vote: dict) -> str:
    """One line for ``wcitsim run``."""
    r = vote["record"]
    y, n, a = vote["tally_scaled"]
    movers = ", ".join(f"{k} {v:.0%}" for k, v in list(vote["movers"].items())[:3])
    supporters = ", ".join(f"{k} {v:.0%}" for k, v in list(vote["supporters"].items())[:3]) or "none"
    return (
        f"the record's vote ({vote['clause']}, {r['yes']}–{r['no']}–{r['abstain']} on {r['moved_by']}'s motion): "
        f"this floor {y:.0f}–{n:.0f}–{a:.0f} scaled to the {r['yes'] + r['no'] + r['abstain']} who voted "
        f"(error {vote['mae']:.1f} a count), "
        f"passing in {vote['share_passes']:.0%}; strongest supporter {supporters}; to a vote in "
        f"{vote['share_to_vote']:.0%}, adopted by a motion from the floor in {vote['share_adopted_by_motion']:.0%}"
        + (f" (the yes-voter with most at stake: {movers})" if movers else "")
        + f"; in the final text in {vote['share_adopted']:.0%}"
    )
