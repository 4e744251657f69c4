"""Count log-likelihoods shared by every model: Poisson and negative binomial (NB2).

One implementation of each log-probability, used by the change-point, Hawkes, tally,
alarm and forecast code, so that a fix in one place reaches every model.

The negative binomial is parametrised by its mean ``mu`` and its size ``r`` (``Var = mu +
mu**2 / r``; statsmodels' NB2 dispersion is ``alpha = 1 / r``). ``r = inf`` is the Poisson
limit.
"""

from __future__ import annotations

import math

import numpy as np

from flashpoint._lazy import lazy_module

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")

__all__ = [
    "fit_nb_size",
    "nb_kernel_sum",
    "nb_logpmf",
    "poisson_kernel_sum",
    "poisson_logpmf",
]


def poisson_logpmf(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson log-probability ``y log mu - mu - log y!`` (broadcasts; ``0 log 0 = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> bool(np.isclose(poisson_logpmf(np.array(3.0), np.array(2.0)), stats.poisson.logpmf(3, 2)))
    True
    """
    y = np.asarray(y, dtype=float)
    return special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)


def nb_logpmf(y: np.ndarray, mu: np.ndarray, size: np.ndarray | float) -> np.ndarray:
    """Negative-binomial (NB2) log-probability with mean ``mu`` and size ``size``.

    ``size = inf`` gives the Poisson log-probability. Broadcasts over its arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> mu, r = 2.0, 1.5
    >>> bool(np.isclose(nb_logpmf(np.array(3.0), mu, r), stats.nbinom.logpmf(3, r, r / (r + mu))))
    True
    """
    y = np.asarray(y, dtype=float)
    mu = np.asarray(mu, dtype=float)
    r = np.asarray(size, dtype=float)
    if np.all(np.isinf(r)):
        return poisson_logpmf(y, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (
            special.gammaln(y + r)
            - special.gammaln(r)
            - special.gammaln(y + 1.0)
            - r * np.log1p(mu / r)
            + special.xlogy(y, mu / (r + mu))
        )
    if np.any(np.isinf(r)):
        out = np.where(np.isinf(r), poisson_logpmf(y, mu), out)
    return out


def poisson_kernel_sum(y: np.ndarray, lam: np.ndarray, log_lam: np.ndarray) -> float:
    """Sum Poisson log-probabilities, leaving out the constant ``-sum log y!``.

    ``sum(y log lam - lam)``, for an optimiser's inner loop that already holds ``log lam``;
    adding ``-sum(gammaln(y + 1))`` gives ``poisson_logpmf(y, lam).sum()``.
    """
    return float((y * log_lam - lam).sum())


def nb_kernel_sum(
    y: np.ndarray,
    lam: np.ndarray,
    log_lam: np.ndarray,
    r: np.ndarray,
    *,
    y_pos: np.ndarray,
    r_pos: np.ndarray,
    n_pos: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Sum NB2 log-probabilities, leaving out ``-sum log y!``; also return ``log1p(lam / r)``.

    The terms of :func:`nb_logpmf` arranged for an optimiser's inner loop (Hawkes fits call
    it thousands of times): ``gammaln(y + r) - gammaln(r)`` is zero where ``y == 0``, so it
    is summed over the positive counts ``y_pos`` (with their sizes ``r_pos``) and
    ``gammaln(r)`` once per group (``n_pos`` positive counts in each). ``r`` has one row per
    group (shape ``(G, 1)``), ``y``, ``lam`` and ``log_lam`` shape ``(G, n)``.

    Returns
    -------
    loglik, log1p(lam / r)
        The sum, and the array the gradient reuses.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[0.0, 2.0, 5.0]]); lam = np.array([[1.0, 2.5, 4.0]]); r = np.array([[2.0]])
    >>> pos = y > 0
    >>> ll, _ = nb_kernel_sum(y, lam, np.log(lam), r, y_pos=y[pos],
    ...                       r_pos=np.full(pos.sum(), 2.0), n_pos=pos.sum(axis=1))
    >>> full = nb_logpmf(y, lam, 2.0).sum()
    >>> bool(np.isclose(ll - special.gammaln(y + 1.0).sum(), full))
    True
    """
    log_r_lam = np.log(r + lam)
    log1p_lr = np.log1p(lam / r)
    ll = float(
        special.gammaln(y_pos + r_pos).sum()
        - (special.gammaln(r[:, 0]) * n_pos).sum()
        - (r * log1p_lr).sum()
        + (y * (log_lam - log_r_lam)).sum()
    )
    return ll, log1p_lr


def fit_nb_size(
    y: np.ndarray, mu: np.ndarray, *, bounds: tuple[float, float] = (1e-3, 1e5)
) -> float:
    """Maximum-likelihood NB size ``r`` with the means held fixed.

    Returns ``inf`` when the counts are not overdispersed around ``mu`` (the maximum sits at
    the upper bound, the Poisson limit). Observations with ``mu == 0`` carry no information
    about the size and are left out.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.negative_binomial(2.0, 2.0 / (2.0 + 5.0), size=4000)
    >>> round(fit_nb_size(y, np.full(y.size, y.mean())), 1)  # true size 2
    2.1
    """
    y = np.asarray(y, dtype=float)
    mu = np.broadcast_to(np.asarray(mu, dtype=float), y.shape)
    live = mu > 0
    yy, mm = y[live], mu[live]
    if yy.size < 2 or np.sum((yy - mm) ** 2) <= np.sum(mm):
        return math.inf
    lo, hi = math.log(bounds[0]), math.log(bounds[1])
    best = optimize.minimize_scalar(
        lambda log_r: -float(nb_logpmf(yy, mm, math.exp(log_r)).sum()),
        bounds=(lo, hi),
        method="bounded",
    )
    if best.x > hi - 0.05:
        return math.inf
    return float(math.exp(best.x))
