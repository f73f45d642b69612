"""Column schemas of wcitsim's data files: what each column may hold."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONFIDENCES",
    "DECISIONS",
    "NUMERIC_KINDS",
    "RECORD_COLUMNS",
    "SCALE_COVARIATE",
    "STATES_COLUMNS",
    "TIES_COLUMNS",
    "TIES_JOINED",
    "Column",
]


@dataclass(frozen=True)
class Column:
    """One column of a data file.

    Attributes:
        name: the header.
        kind: ``iso3``, ``text``, ``binary`` (0/1), ``category`` or ``number``.
        required: whether a blank is an error (otherwise blank means unknown).
        choices: allowed values for ``category``.
        lo, hi: inclusive bounds for ``number``.
        detail: a blank means "not applicable" (e.g. no SCO status), not "unknown".
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    lo: float = float("-inf")
    hi: float = float("inf")
    detail: bool = False

    def expected(self) -> str:
        """Say in words what the column accepts."""
        if self.kind == "iso3":
            return "a three-letter upper-case ISO3 code"
        if self.kind == "binary":
            return "0, 1 or blank"
        if self.kind == "category":
            blank = "" if self.required else " or blank"
            return "one of " + ", ".join(self.choices) + blank
        if self.kind == "number":
            return f"a number in [{self.lo:g}, {self.hi:g}] or blank"
        return "text"


#: The kinds of column that hold numbers (NaN where unknown).
NUMERIC_KINDS = ("number", "binary")


def _binary(*names: str) -> list[Column]:
    return [Column(n, "binary") for n in names]


DECISIONS = ("signed", "not_signed", "unknown")
CONFIDENCES = ("named", "named_in_count", "bloc_statement")
ITU_REGIONS = ("A", "B", "C", "D", "E")

STATES_COLUMNS: tuple[Column, ...] = (
    Column("iso3", "iso3", required=True),
    Column("name", "text", required=True),
    Column("itu_region", "category", choices=ITU_REGIONS),
    Column("itu_region_basis", "category", choices=("listed", "definition", "unsettled"), required=True),
    *_binary("citel", "cept", "apt", "atu", "asmg_arab_states", "rcc"),
    *_binary("eu", "nato", "oecd", "g7", "g8", "g20"),
    Column("sco_status", "category", choices=("member", "observer", "dialogue_partner"), detail=True),
    *_binary("sco_member", "sco_observer", "sco_dialogue_partner", "cis"),
    Column("cis_status", "text", detail=True),
    *_binary("arab_league", "african_union", "g77", "brics", "nam", "nam_observer", "gcc", "oas"),
    Column("fh_status", "category", choices=("F", "PF", "NF")),
    Column("fh_pr_rating", "number", lo=1, hi=7),
    Column("fh_cl_rating", "number", lo=1, hi=7),
    Column("fh_pr_score", "number", lo=-4, hi=40),
    Column("fh_cl_score", "number", lo=0, hi=60),
    Column("fh_total_score", "number", lo=-4, hi=100),
    Column("polity5_score_2012", "number", lo=-10, hi=10),
    Column("internet_users_pct_2012", "number", lo=0, hi=100),
    Column("population_2012", "number", lo=1, hi=2e9),
    Column("gdp_current_usd_2012", "number", lo=1, hi=1e14),
    Column("gdp_pc_current_usd_2012", "number", lo=1, hi=1e6),
    Column("gdp_pc_ppp_2012", "number", lo=1, hi=1e6),
    Column("unga_idealpoint_s67_2012", "number", lo=-5, hi=5),
    Column("unga_idealpoint_s66_2011", "number", lo=-5, hi=5),
    *_binary("foc_2012"),
)

#: The covariate whose weight stays 1 in each covariate index: it sets the index's scale (the slope γ its steepness).
SCALE_COVARIATE = "unga_idealpoint_s67_2012"

RECORD_COLUMNS: tuple[Column, ...] = (
    Column("iso3", "iso3", required=True),
    Column("name", "text", required=True),
    Column("decision", "category", required=True, choices=DECISIONS),
    Column("confidence", "category", choices=CONFIDENCES),
    Column("evidence", "text"),
    Column("source", "text"),
)

TIES_COLUMNS: tuple[Column, ...] = (
    Column("iso3", "iso3", required=True),
    Column("name", "text", required=True),
    Column("cow_ccode", "number", lo=1, hi=999),
    *_binary("us_defense_pact", "russia_defense_pact", "china_defense_pact"),
    Column("defense_partners", "number", lo=0, hi=192),
    Column("trade_share_usa", "number", lo=0, hi=1),
    Column("trade_share_china", "number", lo=0, hi=1),
    Column("trade_year", "number", lo=2012, hi=2012),
    Column("log_ratio_us_china_trade", "number"),
)

#: The columns of ``country_ties_2012.csv`` joined onto the states table.
TIES_JOINED: tuple[str, ...] = (
    "us_defense_pact",
    "russia_defense_pact",
    "china_defense_pact",
    "defense_partners",
    "trade_share_usa",
    "trade_share_china",
    "log_ratio_us_china_trade",
)
