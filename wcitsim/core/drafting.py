"""The chair's drafting policies: a single negotiating text from the field. Pure functions over arrays.

Policies are registered by name (``chair.policy`` in a scenario); each takes
positions and saliences ``(..., N, K)``, capabilities ``N`` and a
:class:`DraftContext`, and returns a draft ``(..., K)`` snapped to the options.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wcitsim.core import compiled, kernels
from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.rules import probabilities_from_gain
from wcitsim.core.utility import normalized, utility_gain
from wcitsim.registry import CHAIR_POLICIES

__all__ = [
    "BLIND_TO_CAPITALS",
    "CHAIR_POLICIES",
    "DraftContext",
    "draft_compromise",
    "draft_majority",
    "draft_median",
]

#: The policies that never read the capitals' view (``DraftContext.view``): it need not be computed for them.
BLIND_TO_CAPITALS = frozenset({"compromise", "median", "final_acts"})


@dataclass(frozen=True)
class DraftContext:
    """What a drafting policy may use besides positions, saliences and capabilities.

    ``signing`` is the signing rule's parameters (exponent, intercept, temperature,
    conformity, per-state shift), for policies that count expected signatories.
    """

    agenda: AgendaArrays
    host_position: np.ndarray | None  # (..., K) or None
    host_bias: float
    signing: object  # wcitsim.core.world.SigningParams
    view: np.ndarray | None = None  # (..., N, K): the positions capitals judge by, if the chair consults them
    membership: np.ndarray | None = None  # G × N, for group conformity in the majority policy


def _toward_host(target: np.ndarray, ctx: DraftContext) -> np.ndarray:
    if ctx.host_position is None or ctx.host_bias == 0:
        return target
    return (1 - ctx.host_bias) * target + ctx.host_bias * ctx.host_position


@CHAIR_POLICIES.register("compromise")
def draft_compromise(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """Capability × salience weighted mean, snapped to the nearest option (Thomson et al. 2006)."""
    w = capability[:, None] * salience
    target = (w * position).sum(axis=-2) / w.sum(axis=-2)
    return ctx.agenda.snap(_toward_host(target, ctx))


@CHAIR_POLICIES.register("median")
def draft_median(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """Capability × salience weighted median per clause (Black's median voter), snapped to an option.

    Without a host bias the snapped median is found without sorting: it is the
    first option o_j whose upper midpoint m_j has at least half the weight at or
    below it (the median p* ≤ m_j exactly then), and the last option otherwise.
    """
    agenda = ctx.agenda
    if kernels.compiled() and not (ctx.host_position is not None and ctx.host_bias > 0):
        return compiled.median_draft(position, salience, capability, agenda)
    w = np.broadcast_to(capability[:, None] * salience, position.shape)
    if ctx.host_position is not None and ctx.host_bias > 0:
        return agenda.snap(_toward_host(_weighted_median(position, w), ctx))
    mids = 0.5 * (agenda.options[:, :-1] + agenda.options[:, 1:])  # K × (O−1), NaN past a clause's options
    half = 0.5 * w.sum(axis=-2)
    index = np.broadcast_to(np.isfinite(agenda.options).sum(axis=1) - 1, half.shape)
    for j in reversed(range(mids.shape[1])):  # the lowest crossing midpoint wins
        below = np.einsum("...nk,...nk->...k", w, position <= mids[:, j])
        index = np.where(below >= half, j, index)
    return np.take_along_axis(agenda.options, index.reshape(-1, agenda.k).T, axis=1).T.reshape(index.shape)


def _weighted_median(position: np.ndarray, w: np.ndarray) -> np.ndarray:
    order = np.argsort(position, axis=-2, kind="stable")
    p = np.take_along_axis(position, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(w, order, axis=-2), axis=-2)
    first = np.argmax(cum >= 0.5 * cum[..., -1:, :], axis=-2)
    return np.take_along_axis(p, first[..., None, :], axis=-2)[..., 0, :]


@CHAIR_POLICIES.register("majority")
def draft_majority(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """Per clause, the option that maximises the expected number of signatories.

    Starts from the compromise draft and improves it one clause at a time, each
    state counting once (one state, one vote), with the signing rule's group
    conformity. The chair consults capitals: it judges by ``ctx.view`` when
    given. Ties keep the option nearest to the compromise.
    """
    agenda = ctx.agenda
    draft = draft_compromise(position, salience, capability, ctx)
    sal = normalized(salience)
    judged = position if ctx.view is None else ctx.view

    def expected_signatories(text):
        gain = utility_gain(text[..., None, :], agenda.status_quo, judged, sal, ctx.signing.exponent)
        rounds = 0 if ctx.membership is None else 2  # no groups given: no conformity
        return probabilities_from_gain(gain, ctx.membership, ctx.signing, rounds).sum(axis=-1)

    for k in range(agenda.k):
        best_value, best_score = draft[..., k].copy(), expected_signatories(draft)
        for value in agenda.options[k][np.isfinite(agenda.options[k])]:
            trial = draft.copy()
            trial[..., k] = value
            score = expected_signatories(trial)
            better = score > best_score + 1e-9
            best_value = np.where(better, value, best_value)
            best_score = np.where(better, score, best_score)
        draft[..., k] = best_value
    return draft


@CHAIR_POLICIES.register("final_acts")
def draft_final_acts(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """The text adopted on 14 December 2012 (the 1988 option where the Final Acts are not coded).

    Not a model of a chair: the "no conference" ablation of ``wcitsim validate``
    (each delegation judges the actual text by its seeded interests).
    """
    agenda = ctx.agenda
    text = np.where(np.isfinite(agenda.final_acts), agenda.final_acts, agenda.status_quo)
    return np.broadcast_to(text, (*position.shape[:-2], agenda.k)).copy()
