"""Why a state signs or not in the model: its utility of the final text clause by clause, its group, the chair.

Pure functions over a :class:`~wcitsim.experiments.runner.RunResult`; the CLI prints them.
"""

from __future__ import annotations

import numpy as np

from wcitsim.core.rules import lost_votes, passed_clauses
from wcitsim.core.utility import normalized
from wcitsim.errors import UsageError
from wcitsim.experiments.runner import RunResult

__all__ = ["explain_state"]


def explain_state(result: RunResult, iso3: str) -> dict:
    """The reasons behind one state's decision, averaged over the replications (JSON-ready).

    Keys: ``state`` (iso3, name, group, record), ``p_sign``, ``sign_rate``,
    ``clauses`` (per clause: the state's ideal point and salience weight, the
    1988 and final options, its contribution to the utility gain, and whether
    the text ``won`` (moved toward it from 1988), ``lost`` (moved away) or held),
    ``gain`` (the sum), ``lost_vote_cost`` (what the votes it lost cost its capital:
    δ (``lost_vote_weight``) × the weight of each clause it voted against and lost, or that the chair
    declared adopted over its objection; ``gain − lost_vote_cost`` is the gain the
    signing rule sees), each clause's ``lost_vote`` (share of replications in which
    it lost the clause's vote), ``group`` (its group's share signing and the pull κ·(share − ½)),
    ``intercept``, ``reservation_shift``, ``temperature``, ``drift`` (how far its
    position at the table moved from its interests, per clause).
    """
    w, o = result.world, result.outcome
    if iso3 not in w.iso3:
        raise UsageError(
            f"{iso3!r} is not seated in {result.scenario.source}; expected an ISO3 code of a seated state"
        )
    i = w.iso3.index(iso3)
    signing, sq, a = w.signing, w.agenda.status_quo, w.signing.exponent
    persuasion = result.scenario.signing.persuasion
    view = (1 - persuasion) * o.interest[:, i] + persuasion * o.position[:, i]  # R × K
    weight = normalized(o.salience[:, i])  # R × K
    contribution = weight * (np.abs(sq - view) ** a - np.abs(o.text - view) ** a)  # R × K
    members = w.membership[list(w.group_names).index(w.group[i])] > 0
    share = o.probability[:, members].mean(axis=1)
    lost = lost_votes(o.votes, o.contested, passed_clauses(o.tallies, result.scenario.voting))[:, i]  # R × K
    clauses = []
    for k, clause in enumerate(w.agenda.ids):
        ideal = float(view[:, k].mean())
        final = float(o.text[:, k].mean())
        before, after = abs(sq[k] - ideal), abs(final - ideal)
        verdict = "won" if after < before - 1e-9 else "lost" if after > before + 1e-9 else "held"
        clauses.append(
            {
                "id": clause,
                "ideal": ideal,
                "weight": float(weight[:, k].mean()),
                "status_quo": float(sq[k]),
                "status_quo_label": w.agenda.label_of(k, sq[k]),
                "final_mean": final,
                "final_label": w.agenda.label_of(k, float(np.median(o.text[:, k]))),
                "contribution": float(contribution[:, k].mean()),
                "chair": verdict,
                "lost_vote": float(lost[:, k].mean()),
            }
        )
    return {
        "state": {
            "iso3": iso3,
            "name": w.names[i],
            "group": str(w.group[i]),
            "record": str(w.record.iloc[i]),
        },
        "p_sign": float(o.probability[:, i].mean()),
        "sign_rate": float(o.signed[:, i].mean()),
        "clauses": clauses,
        "gain": float(contribution.sum(axis=1).mean()),
        "lost_vote_cost": float((contribution.sum(axis=1) - o.gain[:, i]).mean()),
        "lost_vote_weight": float(signing.lost_vote),
        "group": {
            "name": str(w.group[i]),
            "share_signing": float(share.mean()),
            "pull": float(signing.conformity * (share.mean() - 0.5)),
        },
        "intercept": float(signing.intercept),
        "reservation_shift": float(signing.shift[i]),
        "temperature": float(signing.temperature),
        "drift": {
            c: float((o.position[:, i, k] - o.interest[:, i, k]).mean()) for k, c in enumerate(w.agenda.ids)
        },
        "replications": result.replications,
    }
