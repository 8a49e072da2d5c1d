"""The units, formulas and sign conventions, as text for agents (resource gex://conventions)."""

CONVENTIONS = """\
# gex-mcp conventions

## Units (per strike; totals are sums over strikes)
| Exposure | Formula | Unit |
|---|---|---|
| GEX  | s * gamma * OI * m * S^2 * 0.01 | USD of dealer delta per 1% move in spot |
| DEX  | s * delta * OI * m * S          | USD of dealer delta |
| VEX  | s * vanna * OI * m * S * 0.01   | USD of dealer delta per 1 vol point |
| CHEX | s * charm * OI * m * S / 365    | USD of dealer delta per calendar day |

OI in contracts, m = contract multiplier (100 unless the chain says otherwise), S = spot in USD.
Greeks: Black-Scholes-Merton with each option's IV (re-implied from the mid when missing);
time to expiry from the snapshot's as_of to the 16:00 New York settlement (09:30 for
AM-settled index monthlies), in years of 365 days.

## Dealer sign s
Default model long_calls_short_puts: dealers are long the calls and short the puts, so
call GEX >= 0, put GEX <= 0 and net GEX = call GEX + put GEX. The alternative short_all
(dealers short every option) is a server setting; every answer names it in dealer_model.
Positive net GEX: dealers hedge against the move (buy dips, sell rallies) and dampen it.
Negative net GEX: they hedge with the move and amplify it.

## Levels
- gamma_flip: spot at which total dealer GEX, re-priced over the whole chain with each IV held
  fixed, crosses zero (the crossing nearest spot); null with a reason when there is none.
- call_wall: strike of the largest call GEX. put_wall: strike of the most negative put GEX.
- max_positive_gamma / max_negative_gamma: strikes of the largest / most negative net GEX.
- highest_oi_strike: strike with the largest call + put OI. Walls, max +/- gamma and
  highest_oi_strike look only at strikes within ±20% of spot.
- expected_move: the ATM strike is the one nearest each expiration's forward (put-call parity).
- zero_dte_magnet: strike of the largest |net GEX| among options expiring today.
- Regime: positive_gamma above the flip, negative_gamma below, neutral within a small band.
- Distances: (level - spot) / spot x 100, positive when the level is above spot, in fields
  named <level>_above_spot_pct (flip_above_spot_pct, call_wall_above_spot_pct, ...).

## Data
cboe: CBOE's free delayed quotes, about 15 minutes behind. flashalpha: FlashAlpha's API (key
needed). file: saved snapshots. demo: a synthetic market (is_demo=true), not real quotes.
Every answer carries as_of, age_seconds (how old the data was when answered), source, is_demo
and stale; stale=true means the source failed and a cached answer is served (see
stale_age_seconds, stale_reason). Open interest is published
once a day. This is analytics, not investment advice.
"""
