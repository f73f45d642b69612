"""The calibrations ``wcitsim select`` chooses among (docs/validation.md, "A prior on the coefficients").

Light on purpose (no numpy, no pandas): the command line reads the keys to build its help.
"""

from __future__ import annotations

from dataclasses import dataclass

from wcitsim.validation.fit import PRIOR_SD

__all__ = ["CANDIDATES", "Candidate"]

_INDEX = tuple(
    f"seeder.covariate_weights.{c}"
    for c in ("fh_total_score", "internet_users_pct_2012", "gdp_pc_ppp_2012", "foc_2012")
)


@dataclass(frozen=True)
class Candidate:
    """One way of calibrating the model: a prior's sd and the coefficients held at their centre."""

    key: str
    label: str
    prior_sd: float = PRIOR_SD
    held: tuple[str, ...] = ()  # held where the scenario fits them; the others are ignored


#: The calibrations docs/validation.md tried, by the key ``--candidates`` takes.
CANDIDATES = {
    c.key: c
    for c in (
        Candidate("all", "every coefficient, no prior"),
        Candidate("prior", "prior sd 0.25", 0.25),
        Candidate("one-index", "one covariate index", held=_INDEX),
        Candidate("one-index-prior", "one covariate index, prior sd 0.25", 0.25, _INDEX),
        Candidate(
            "six",
            "one index, conformity and lost vote held, prior sd 0.25",
            0.25,
            (*_INDEX, "signing.conformity", "signing.lost_vote"),
        ),
    )
}
