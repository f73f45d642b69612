"""``wcitsim game``: voting power, Nash bargaining, the compromise point and the camps' acceptable sets."""

from __future__ import annotations

import argparse
import math

from wcitsim.cli import options
from wcitsim.errors import UsageError

__all__ = ["MAX_TEXTS", "add_game", "format_game"]

#: The most possible texts (combinations of options) the panel enumerates: each is scored for every delegation.
MAX_TEXTS = 200_000


def _game_report(args: argparse.Namespace) -> tuple[dict, dict]:
    """The game-theory panel of a scenario's run: the report (as ``--json`` prints it) and its parts."""
    import numpy as np

    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.teach import gametheory as gt

    data = load_dataset(args.data_dir)
    scenario = load_scenario(args.scenario)
    count = math.prod(len(clause.options) for clause in scenario.agenda.active)
    if count > MAX_TEXTS:
        raise UsageError(
            f"{scenario.source}: agenda: {count:,} possible texts; expected at most {MAX_TEXTS:,} "
            "for wcitsim game, which scores every text (drop clauses with agenda.drop)"
        )
    options.fit_in_memory(args.reps, scenario, data)
    result = run_scenario(scenario, args.reps, data=data)
    w, agenda = result.world, result.world.agenda
    names = list(w.group_names)
    seats = np.array([int((w.group == g).sum()) for g in names])
    quota = seats.sum() / 2 + 0.5
    ss, bz = gt.shapley_shubik(seats, quota), gt.banzhaf(seats, quota)
    texts = gt.all_texts(agenda, MAX_TEXTS)
    nbs, nbs_info = gt.nash_bargaining(
        texts, agenda, w.position, w.salience, w.capability, w.signing.exponent
    )
    compromise = gt.compromise_point(w.position, w.salience, w.capability)
    values, counts = zip(
        *[np.unique(result.outcome.text[:, k], return_counts=True) for k in range(agenda.k)], strict=True
    )
    chair = np.array([v[np.argmax(c)] for v, c in zip(values, counts, strict=True)])
    west = data.states.loc[list(w.iso3)].eval("oecd == 1 or eu == 1").to_numpy()
    camps = {"OECD and EU": west, "the others": ~west}
    sets = gt.acceptable_sets(texts, agenda, w.position, w.salience, camps, w.signing.exponent, args.share)
    report = {
        "voting_power": {
            g: {"seats": int(n), "shapley_shubik": float(a), "banzhaf": float(b)}
            for g, n, a, b in zip(names, seats, ss, bz, strict=True)
        },
        "quota": float(quota),
        "nash_bargaining": None if nbs is None else dict(zip(agenda.ids, map(float, nbs), strict=True)),
        "nash_details": nbs_info,
        "compromise_point": dict(zip(agenda.ids, map(float, compromise), strict=True)),
        "chair_text": dict(zip(agenda.ids, map(float, chair), strict=True)),
        "acceptable_sets": {k: v for k, v in sets.items() if k != "accepted"},
        "share": args.share,
        "explanations": gt.explanations(result.data.facts),
    }
    parts = {"result": result, "names": names, "seats": seats, "quota": quota, "ss": ss, "bz": bz,
             "texts": texts, "nbs": nbs, "nbs_info": nbs_info, "compromise": compromise, "chair": chair,
             "sets": sets}  # fmt: skip
    return report, parts


def format_game(p: dict, share: float) -> str:
    """Render the parts of :func:`_game_report` as readable lines."""
    import numpy as np

    from wcitsim.teach import gametheory as gt

    result, seats, texts, sets = p["result"], p["seats"], p["texts"], p["sets"]
    explained = gt.explanations(result.data.facts)
    w, agenda, nbs = result.world, result.world.agenda, p["nbs"]
    lines = [f"wcitsim game: {result.scenario.meta.name}, {w.n} delegations, {len(texts)} possible texts", "",
             f"Voting power of the regional groups voting as blocs (majority: {p['quota']:.1f} of {seats.sum()} votes):"]  # fmt: skip
    lines += [
        f"  {g:<7} {n:>4} seats  Shapley–Shubik {a:.3f}  Banzhaf {b:.3f}"
        for g, n, a, b in zip(p["names"], seats, p["ss"], p["bz"], strict=True)
    ]
    lines += [
        "  " + explained["voting_power"],
        "",
        "Nash bargaining solution (disagreement point: the 1988 ITRs):",
    ]
    if nbs is None:
        lines.append(
            f"  none: no text leaves every delegation better off than 1988 (the best text satisfies "
            f"{100 * p['nbs_info']['best_coverage']:.0f} % of them)"
        )
    else:
        lines += [
            f"  {c:<13} {agenda.label_of(k, v)}" for k, (c, v) in enumerate(zip(agenda.ids, nbs, strict=True))
        ]
    lines += [
        "  " + explained["nash"],
        "",
        "Compromise point against the chair's text (modal over the replications):",
    ]
    compromise = p["compromise"]
    lines += [
        f"  {c:<13} compromise {x:.2f} → {agenda.label_of(k, float(agenda.snap(np.array([x]))[0]) if agenda.k == 1 else float(agenda.snap(compromise)[k]))}; chair: {agenda.label_of(k, t)}"
        for k, (c, x, t) in enumerate(zip(agenda.ids, compromise, p["chair"], strict=True))
    ]
    lines += ["  " + explained["compromise"], "",
              f"Acceptable sets (texts at least {100 * share:.0f} % of a camp prefers to 1988, of {len(texts)}):"]  # fmt: skip
    lines += [f"  {name:<12} {size}" for name, size in sets["sizes"].items()]
    lines.append(
        f"  both camps: {sets['intersection']}"
        + ("  → binary: no text both camps accept" if sets["binary"] else "")
    )
    lines.append("  " + explained["acceptable_sets"])
    return "\n".join(lines)


def _cmd_game(args: argparse.Namespace) -> int:
    report, parts = _game_report(args)
    print(options.json_text(report) if args.json else format_game(parts, args.share))
    return 0


def add_game(commands: options.Commands) -> None:
    """``wcitsim game``."""
    game = commands.add_parser(
        "game", help="voting power, Nash bargaining, acceptable sets: the game-theory panel"
    )
    options.add_scenario(game)
    options.add_reps(game, default=50, help="replications for the chair's text (default 50)")
    game.add_argument(
        "--share",
        type=options.bounded(float, "a number", lambda v: 0 <= v <= 1, "a share from 0 to 1"),
        default=0.9,
        help="share of a camp that must prefer a text, from 0 to 1 (default 0.9)",
    )
    options.add_json(game)
    options.add_data_dir(game)
    game.set_defaults(func=_cmd_game)
