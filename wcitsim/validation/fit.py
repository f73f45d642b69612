"""The calibration's optimiser and its prior: CMA-ES over the unit box, a Gaussian penalty around the centre.

Every coefficient is searched in its unit space (0 and 1 the ends of its range);
:mod:`wcitsim.validation.calibrate` maps it to the scenario's value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

__all__ = ["PRIOR_SD", "minimise", "prior_penalty", "prior_weight", "search_name", "with_prior"]

#: The prior's standard deviation in each coefficient's unit space by default: none (a flat prior).
PRIOR_SD = math.inf


def prior_weight(sd: float, n: int) -> float:
    """λ of the penalty λ (u − u₀)² that a Gaussian prior of ``sd`` adds to a mean loss over ``n`` states.

    The prior's negative log density is (u − u₀)² / (2 sd²); divided by ``n``, like
    the log-likelihood in the mean log-loss, λ = 1 / (2 n sd²). An infinite sd gives 0.
    """
    return 0.0 if math.isinf(sd) else 1.0 / (2.0 * n * sd * sd)


def with_prior(parameters: Sequence, sd: float) -> tuple:
    """``parameters`` with the prior's sd set on each (``math.inf``: no prior)."""
    return tuple(dataclasses.replace(p, sd=sd) for p in parameters)


def prior_penalty(unit: Sequence[float], parameters: Sequence, prior_sd: float, n: int) -> float:
    """Σ_p λ_p (u_p − centre_p)², λ_p = :func:`prior_weight` of ``p.sd`` (else ``prior_sd``) and ``n``.

    ``unit`` is clipped to [0, 1], as the coefficients are.
    """
    return sum(
        prior_weight(p.sd if p.sd is not None else prior_sd, n) * (min(max(u, 0.0), 1.0) - p.centre) ** 2
        for p, u in zip(parameters, unit, strict=True)
    )


def search_name(n: int) -> str | None:
    """What :func:`minimise` runs for ``n`` coefficients: CMA-ES from two, Brent's search for one, none for 0."""
    return "CMA-ES" if n >= 2 else "Brent's bounded search" if n == 1 else None


def minimise(objective, x0: Sequence[float], budget: int, seed: int) -> tuple[list[float], float, float]:
    """CMA-ES (σ₀ 0.25) over the unit box from ``x0``, about ``budget`` evaluations in all.

    Returns (the best unit point, its value, the value at ``x0``); never worse than ``x0``.
    """
    import cma

    loss_start = objective(x0)
    if len(x0) < 2:  # CMA-ES needs two dimensions: one is Brent's bounded search, none nothing to do
        from scipy.optimize import minimize_scalar

        if not x0:
            return [], float(loss_start), float(loss_start)
        r = minimize_scalar(lambda u: objective([u]), bounds=(0.0, 1.0), method="bounded",
                            options={"maxiter": max(budget - 1, 2), "xatol": 1e-4})  # fmt: skip
        best = ([float(r.x)], float(r.fun)) if r.fun < loss_start else (list(x0), float(loss_start))
        return best[0], best[1], float(loss_start)
    options = {
        "bounds": [[0.0] * len(x0), [1.0] * len(x0)],
        "maxfevals": max(budget - 1, 2),
        "seed": seed + 1,
        "verbose": -9,
        "verb_log": 0,
        "verb_disp": 0,
    }
    es = cma.CMAEvolutionStrategy(list(x0), 0.25, options)
    es.optimize(objective)
    if es.result.xbest is None or loss_start <= es.result.fbest:
        return list(x0), float(loss_start), float(loss_start)
    return list(es.result.xbest), float(es.result.fbest), float(loss_start)
