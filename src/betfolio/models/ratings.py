"""Team ratings and pre-match features, updated one result at a time and read as of each decision.

What is tracked, per team unless said otherwise:

* **Elo** with a goal-difference multiplier (the World Football Elo rule): a 3-0 moves a rating more than a 1-0.
* **pi-ratings** (Constantinou & Fenton 2013): a home and an away rating per team, in goal-difference units;
  the error between the observed and the expected goal difference moves the rating of the ground played on
  (learning rate λ) and, by a share γ of that change, the other ground's rating.
* a **shots rating** as an xG proxy: exponentially weighted shots-on-target and off-target for and against,
  turned into expected goals with the usual conversion rates. Only where statistics exist: a team whose
  matches carry no shots has the feature *masked*, never zero.
* **rest days** since the team's previous match in the data (masked for a team's first match).
* **league home advantage**: an exponentially weighted mean home goal difference per league.
* **newcomers**: a team entering a league (promoted, or first seen) starts from the league prior — the mean
  of the three lowest-rated current members. If the store holds the team's matches from another league (a
  lower division), its rating is carried in and shrunk halfway toward that prior, because ratings earned
  against weaker opposition overstate the team at the higher level.

Everything is plain Python on dicts: one update touches two teams, so vectorising gains nothing and the
sequential form is what the as-of rule needs (a result enters the ratings only when it is known). One
update costs a few microseconds (``betfolio bench backtest`` reports it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

#: Names of the feature vector's entries, in order (the mask has the same order).
FEATURE_NAMES: tuple[str, ...] = (
    "elo_diff",  # (home Elo + home advantage − away Elo) / 400
    "pi_goal_diff",  # pi-ratings' expected goal difference
    "shots_xg_diff",  # (home xG-proxy for − against) − (away for − against), per match
    "rest_diff",  # home rest days − away rest days, each capped at REST_CAP, / 7
    "league_home_adv",  # the league's recent mean home goal difference
    "home_newcomer",  # 1 when the home side is new to the league this season
    "away_newcomer",
)
N_FEATURES = len(FEATURE_NAMES)
REST_CAP = 14.0
#: Statistics matches a team needs before its shots rating is used.
MIN_SHOT_MATCHES = 3
#: Expected goals per shot on target and per shot off target (typical top-flight conversion rates).
XG_PER_SHOT_ON_TARGET = 0.30
XG_PER_SHOT_OFF_TARGET = 0.03
_LN10_OVER_400 = math.log(10.0) / 400.0


@dataclass(frozen=True)
class RatingParams:
    elo_k: float = 20.0
    elo_home: float = 60.0
    elo_initial: float = 1500.0
    pi_lambda: float = 0.054
    pi_gamma: float = 0.79
    pi_base: float = 10.0
    pi_c: float = 3.0
    shots_alpha: float = 0.12
    league_alpha: float = 0.01
    league_prior_home_adv: float = 0.35
    newcomer_shrink: float = 0.5


@dataclass(slots=True)
class _Team:
    elo: float
    pi_home: float
    pi_away: float
    league: str
    season: str
    last_played: datetime | None = None
    shots_n: int = 0
    xg_for: float = 0.0
    xg_against: float = 0.0
    newcomer: bool = False


@dataclass
class Ratings:
    """The rating state after the results fed so far; :meth:`features` reads it for a coming fixture."""

    params: RatingParams = field(default_factory=RatingParams)
    teams: dict[str, _Team] = field(default_factory=dict)
    league_home_adv: dict[str, float] = field(default_factory=dict)
    updates: int = 0

    # ------------------------------------------------------------------ entering a league
    def _league_prior(self, league: str, exclude: str) -> tuple[float, float, float]:
        members = [t for name, t in self.teams.items() if t.league == league and name != exclude]
        if len(members) < 3:
            return self.params.elo_initial, 0.0, 0.0
        weakest = sorted(members, key=lambda t: t.elo)[:3]
        return (
            sum(t.elo for t in weakest) / 3.0,
            sum(t.pi_home for t in weakest) / 3.0,
            sum(t.pi_away for t in weakest) / 3.0,
        )

    def _team(self, name: str, league: str, season: str) -> _Team:
        """The team's state, entering it into ``league``/``season`` first when it is new there."""
        team = self.teams.get(name)
        if team is not None and team.league == league:
            if team.season != season:
                team.season, team.newcomer = season, False
            return team
        elo, pi_h, pi_a = self._league_prior(league, name)
        if team is None:
            team = _Team(elo, pi_h, pi_a, league, season, newcomer=True)
            self.teams[name] = team
            return team
        # Moving between leagues (promotion or relegation): carry the record, shrunk toward the league prior.
        s = self.params.newcomer_shrink
        team.elo = s * elo + (1.0 - s) * team.elo
        team.pi_home = s * pi_h + (1.0 - s) * team.pi_home
        team.pi_away = s * pi_a + (1.0 - s) * team.pi_away
        team.league, team.season, team.newcomer = league, season, True
        return team

    # ------------------------------------------------------------------ updates
    def update(
        self,
        league: str,
        season: str,
        kickoff: datetime,
        home: str,
        away: str,
        home_goals: int,
        away_goals: int,
        shots: tuple[float, float, float, float] | None = None,
    ) -> None:
        """Feed one result. ``shots``: (home shots, home on target, away shots, away on target) or None."""
        p = self.params
        h = self._team(home, league, season)
        a = self._team(away, league, season)
        gd = home_goals - away_goals
        # Elo with the goal-difference multiplier.
        expected = 1.0 / (1.0 + math.exp((a.elo - h.elo - p.elo_home) * _LN10_OVER_400))
        score = 1.0 if gd > 0 else (0.5 if gd == 0 else 0.0)
        margin = gd if gd >= 0 else -gd
        mult = 1.0 if margin <= 1 else (1.5 if margin == 2 else (11.0 + margin) * 0.125)
        delta = p.elo_k * mult * (score - expected)
        h.elo += delta
        a.elo -= delta
        # pi-ratings: expected goal difference sign(R)·(b^(|R|/c) − 1) per side, error spread over both grounds.
        k = math.log(p.pi_base) / p.pi_c
        rh, ra = h.pi_home, a.pi_away
        exp_h = math.exp(k * rh) - 1.0 if rh >= 0 else 1.0 - math.exp(-k * rh)
        exp_a = math.exp(k * ra) - 1.0 if ra >= 0 else 1.0 - math.exp(-k * ra)
        error = gd - (exp_h - exp_a)
        dh = p.pi_c * math.log10(1.0 + (error if error >= 0 else -error)) * p.pi_lambda
        if error < 0:
            dh = -dh
        h.pi_home += dh
        h.pi_away += dh * p.pi_gamma
        a.pi_away -= dh
        a.pi_home -= dh * p.pi_gamma
        # League home advantage.
        lha = self.league_home_adv.get(league, p.league_prior_home_adv)
        self.league_home_adv[league] = lha + p.league_alpha * (gd - lha)
        # Shots rating (xG proxy), only from matches that carry the statistics.
        if shots is not None:
            hs, hst, as_, ast = shots
            xg_h = XG_PER_SHOT_ON_TARGET * hst + XG_PER_SHOT_OFF_TARGET * max(hs - hst, 0.0)
            xg_a = XG_PER_SHOT_ON_TARGET * ast + XG_PER_SHOT_OFF_TARGET * max(as_ - ast, 0.0)
            alpha = p.shots_alpha
            for team, xf, xa in ((h, xg_h, xg_a), (a, xg_a, xg_h)):
                if team.shots_n:
                    team.xg_for += alpha * (xf - team.xg_for)
                    team.xg_against += alpha * (xa - team.xg_against)
                else:
                    team.xg_for, team.xg_against = xf, xa
                team.shots_n += 1
        h.last_played = kickoff
        a.last_played = kickoff
        self.updates += 1

    # ------------------------------------------------------------------ reading
    def knows(self, team: str) -> bool:
        return team in self.teams

    def can_rate(self, team: str, league: str) -> bool:
        """A team can be rated if it has results, or if its league has enough rated members for a prior."""
        return team in self.teams or sum(1 for t in self.teams.values() if t.league == league) >= 3

    def features(
        self, league: str, season: str, kickoff: datetime, home: str, away: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """(values, mask) for a fixture, as of the results fed so far. Missing values are 0 with mask 0.

        Reading does not change the state: a team not yet in the league is valued as it would enter it.
        """
        p = self.params
        values = np.zeros(N_FEATURES)
        mask = np.zeros(N_FEATURES)
        h = self._peek(home, league, season)
        a = self._peek(away, league, season)
        values[0] = (h.elo + p.elo_home - a.elo) / 400.0
        values[1] = _pi_goals(h.pi_home, p.pi_base, p.pi_c) - _pi_goals(a.pi_away, p.pi_base, p.pi_c)
        mask[0] = mask[1] = 1.0
        if h.shots_n >= MIN_SHOT_MATCHES and a.shots_n >= MIN_SHOT_MATCHES:
            values[2] = (h.xg_for - h.xg_against) - (a.xg_for - a.xg_against)
            mask[2] = 1.0
        if h.last_played is not None and a.last_played is not None:
            rest_h = min((kickoff - h.last_played).total_seconds() / 86400.0, REST_CAP)
            rest_a = min((kickoff - a.last_played).total_seconds() / 86400.0, REST_CAP)
            values[3] = (rest_h - rest_a) / 7.0
            mask[3] = 1.0
        values[4] = self.league_home_adv.get(league, p.league_prior_home_adv)
        mask[4] = 1.0
        values[5] = float(h.newcomer)
        values[6] = float(a.newcomer)
        mask[5] = mask[6] = 1.0
        return values, mask

    def _peek(self, name: str, league: str, season: str) -> _Team:
        team = self.teams.get(name)
        if team is not None and team.league == league:
            if team.season == season:
                return team
            return replace(team, season=season, newcomer=False)
        elo, pi_h, pi_a = self._league_prior(league, name)
        if team is None:
            return _Team(elo, pi_h, pi_a, league, season, newcomer=True)
        s = self.params.newcomer_shrink
        return replace(
            team,
            elo=s * elo + (1.0 - s) * team.elo,
            pi_home=s * pi_h + (1.0 - s) * team.pi_home,
            pi_away=s * pi_a + (1.0 - s) * team.pi_away,
            league=league,
            season=season,
            newcomer=True,
        )

def _pi_goals(rating: float, base: float, c: float) -> float:
    """Expected goal-difference contribution of a pi-rating: sign(R)·(b^(|R|/c) − 1)."""
    g = base ** (abs(rating) / c) - 1.0
    return g if rating >= 0 else -g


def match_shots(statistics: Mapping[str, Any] | None) -> tuple[float, float, float, float] | None:
    """(home shots, home on target, away shots, away on target) from canonical statistics, or None if absent.

    Shots on target are required; total shots fall back to shots on target when only those exist.
    """
    if not statistics:
        return None
    home, away = statistics.get("home") or {}, statistics.get("away") or {}
    hst, ast = home.get("shots_on_target"), away.get("shots_on_target")
    if hst is None or ast is None:
        return None
    hs, as_ = home.get("shots", hst), away.get("shots", ast)
    return float(hs), float(hst), float(as_), float(ast)


@dataclass
class FeatureTable:
    """Features of many fixtures, each as of its own decision time."""

    values: dict[int, np.ndarray] = field(default_factory=dict)
    masks: dict[int, np.ndarray] = field(default_factory=dict)
    #: Match ids with a team that had no result before the decision, in a league without a prior to lend it.
    unrated: set[int] = field(default_factory=set)
    updates: int = 0


def features_as_of_decisions(
    fixtures: Sequence[Any], params: RatingParams | None = None, statistics: Mapping[int, Any] | None = None
) -> FeatureTable:
    """Walk results and decisions in time order; every fixture's features as of its ``decision_at``.

    A result enters the ratings at ``result_at`` (kick-off plus the result delay); a decision at the same moment
    sees it, exactly like the walk-forward's model refits. Fixtures without a decision time get no features.
    ``statistics`` maps match id → canonical statistics (``{"home": {...}, "away": {...}}``) when the fixtures
    do not carry a ``statistics`` attribute.
    """
    ratings = Ratings(params or RatingParams())
    events: list[tuple[datetime, int, int, Any]] = []
    for f in fixtures:
        if f.has_result:
            events.append((f.result_at, 0, f.match_id, f))
        if f.decision_at is not None:
            events.append((f.decision_at, 1, f.match_id, f))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    out = FeatureTable()
    for _, kind, match_id, f in events:
        if kind == 0:
            stats = getattr(f, "statistics", None)
            if stats is None and statistics is not None:
                stats = statistics.get(match_id)
            ratings.update(
                f.league, f.season, f.kickoff, f.home, f.away, int(f.home_goals), int(f.away_goals), match_shots(stats)
            )
        else:
            if not (ratings.can_rate(f.home, f.league) and ratings.can_rate(f.away, f.league)):
                out.unrated.add(match_id)
                continue
            values, mask = ratings.features(f.league, f.season, f.kickoff, f.home, f.away)
            out.values[match_id] = values
            out.masks[match_id] = mask
    out.updates = ratings.updates
    return out
