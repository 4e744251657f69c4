"""Regenerate the data of R CausalImpact's documented example in numpy, draw for draw.

The CausalImpact vignette (Brodersen et al. 2015; https://google.github.io/CausalImpact/)
builds its example with::

    set.seed(1)
    x1 <- 100 + arima.sim(model = list(ar = 0.999), n = 100)
    y <- 1.2 * x1 + rnorm(100)
    y[71:100] <- y[71:100] + 10

This module reproduces R's random numbers exactly (our own code, written from R's
documented algorithms, see ``?RNG`` and ``?arima.sim``):

* ``set.seed(s)``: R scrambles the seed with 50 steps of the congruential generator
  ``seed = 69069 seed + 1`` (mod 2^32), then fills the Mersenne-Twister state with the
  next 625 values of the same recursion; the first is the position (set to 624, so the
  first draw regenerates the whole state) and the other 624 are the state words.
* ``unif_rand()``: the tempered MT19937 output times 2^-32 (numpy's ``MT19937`` bit
  generator with that state gives the same 32-bit words).
* ``rnorm()`` (default ``"Inversion"``): ``u = floor(2^27 u1) + u2`` from two uniforms and
  ``qnorm(u / 2^27)``.
* ``arima.sim(list(ar = phi), n)``: a burn-in of ``n.start = 1 + ceiling(6 / log(1 /
  |phi|))`` innovations (5,998 for ``phi = 0.999``) drawn *before* the ``n`` innovations,
  filtered recursively from zero, the burn-in dropped.

Checked against R's printed values: ``set.seed(1); runif(3)`` is 0.2655087 0.3721239
0.5728534, ``set.seed(1); rnorm(3)`` is -0.6264538 0.1836433 -0.8356286 and
``head(cbind(y, x1))`` of the example is ``105.2950 88.21513`` / ``105.8943 88.48415`` /
``106.6209 87.87684`` / ... (the printed head of the example in public R notes that run
the vignette's code; see ``causalimpact.md``). ``tests/test_controls.py`` asserts all of
these.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter
from scipy.special import ndtri

_U32 = 2**32
_BIG = 134217728  # 2^27


class RRandom:
    """R's default generator (Mersenne-Twister, Inversion) after ``set.seed(seed)``."""

    def __init__(self, seed: int) -> None:
        s = seed % _U32
        for _ in range(50):
            s = (69069 * s + 1) % _U32
        words = []
        for _ in range(625):
            s = (69069 * s + 1) % _U32
            words.append(s)
        self._bits = np.random.MT19937()
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": np.array(words[1:], dtype=np.uint32), "pos": 624},
        }

    def runif(self, n: int) -> np.ndarray:
        """``runif(n)``: uniforms strictly inside (0, 1)."""
        u = self._bits.random_raw(n).astype(float) * 2.3283064365386963e-10
        tiny = 0.5 * 2.328306437080797e-10
        return np.clip(u, tiny, 1.0 - tiny)

    def rnorm(self, n: int) -> np.ndarray:
        """``rnorm(n)`` by inversion (two uniforms per draw)."""
        u = self.runif(2 * n).reshape(n, 2)
        return ndtri((np.floor(_BIG * u[:, 0]) + u[:, 1]) / _BIG)

    def arima_ar1(self, phi: float, n: int) -> np.ndarray:
        """``arima.sim(model = list(ar = phi), n = n)`` with R's default burn-in."""
        n_start = 1 + math.ceil(6 / math.log(1 / abs(phi)))
        burn = self.rnorm(n_start)
        innov = self.rnorm(n)
        x = lfilter([1.0], [1.0, -phi], np.concatenate([burn, innov]))
        return x[n_start:]


def causalimpact_example() -> tuple[np.ndarray, np.ndarray]:
    """``(y, x1)`` of the CausalImpact vignette (100 points; the effect from point 71)."""
    rng = RRandom(1)
    x1 = 100 + rng.arima_ar1(0.999, 100)
    y = 1.2 * x1 + rng.rnorm(100)
    y[70:] += 10
    return y, x1
