"""The pure simulation: a deterministic week of a car and a home energy site.

Nothing in this package imports Home Assistant or reads the clock: the timeline is a
function of the seed, so it is unit-tested with plain pytest and replayed by the
integration at any speed.
"""
