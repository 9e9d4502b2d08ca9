"""Real time series: Beijing PM2.5 hourly, Seattle hourly temperature and daily weather, sunspots.

Every loader returns a :class:`TimeSeries` on a regular time grid. Missing
values are marked in ``missing`` and, with ``fill="interpolate"`` (default),
replaced by linear interpolation in time between the nearest observed values
of the same column (before the first / after the last observation: that
observation, held constant); ``fill="none"`` leaves them NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .store import load_bundle


@dataclass
class TimeSeries:
    """``values`` (T, F) float32 on a regular grid; ``columns`` the F names; ``time`` (T,)
    int64 steps in ``time_unit``; ``missing`` (T, F) bool, True where the source had no value."""
    values: torch.Tensor
    columns: list[str]
    time: torch.Tensor
    time_unit: str
    missing: torch.Tensor

    def __len__(self) -> int:
        return self.values.shape[0]


def _check_fill(fill: str) -> None:
    if fill not in ("interpolate", "none"):
        raise ValueError(f"expected fill 'interpolate' or 'none', got {fill!r}")


def _regular(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Place rows at integer ``steps`` onto the full grid min..max; absent rows become NaN."""
    grid = np.arange(steps.min(), steps.max() + 1)                       # (T,)
    out = np.full((len(grid), values.shape[1]), np.nan, dtype=np.float32)  # (T, F)
    out[steps - steps.min()] = values
    return grid, out


def _interpolate(values: np.ndarray) -> np.ndarray:
    """Fill NaNs per column by linear interpolation in time (ends held constant)."""
    out = values.copy()                                                   # (T, F)
    t = np.arange(len(values))
    for f in range(values.shape[1]):
        seen = ~np.isnan(values[:, f])
        if seen.any() and not seen.all():
            out[~seen, f] = np.interp(t[~seen], t[seen], values[seen, f])
    return out


def _series(values: np.ndarray, columns: list[str], time: np.ndarray, unit: str,
            fill: str) -> TimeSeries:
    missing = np.isnan(values)                                            # (T, F)
    if fill == "interpolate":
        values = _interpolate(values)
    return TimeSeries(torch.from_numpy(values.astype(np.float32)), columns,
                      torch.from_numpy(time.astype(np.int64)), unit, torch.from_numpy(missing))


def beijing_pm25(fill: str = "interpolate") -> TimeSeries:
    """Beijing PM2.5 and weather, hourly 2010-01-01 00:00 to 2014-12-31 23:00 (T = 43,824).

    Columns: ``pm2.5`` (ug/m^3; 2,067 hours missing, including the first 24),
    ``DEWP`` dew point (C), ``TEMP`` (C), ``PRES`` (hPa), ``Iws`` cumulated wind speed
    (m/s), ``Is``/``Ir`` cumulated hours of snow/rain, then the combined wind direction
    one-hot as ``wind_NE``, ``wind_NW``, ``wind_SE``, ``wind_cv`` (cv: calm and variable).
    ``time`` counts hours since 2010-01-01 00:00.
    """
    _check_fill(fill)
    meta, a = load_bundle("beijing_pm25.arrays.xz")
    stamp = a["time"].astype(np.int64)                                    # (T, 4) y, m, d, h
    month = (stamp[:, 0] - 1970) * 12 + stamp[:, 1] - 1                 # (T,) months since 1970-01
    day = month.astype("datetime64[M]").astype("datetime64[D]") + (stamp[:, 2] - 1)
    days = (day - np.datetime64("2010-01-01", "D")).astype(np.int64)      # (T,)
    hours = days * 24 + stamp[:, 3]                                       # (T,)
    onehot = np.eye(len(meta["wind_directions"]), dtype=np.float32)[a["wind"]]  # (T, 4)
    values = np.concatenate([a["values"], onehot], axis=1)                # (T, 11)
    columns = meta["columns"] + [f"wind_{w}" for w in meta["wind_directions"]]
    grid, values = _regular(hours, values)
    return _series(values, columns, grid, "hours since 2010-01-01 00:00", fill)


def seattle_temps(fill: str = "interpolate") -> TimeSeries:
    """Seattle hourly temperature (F) in 2010 on a full hourly grid (T = 8,760; the source
    lacks one hour, 2010-03-14 03:00, at the daylight-saving change). ``time``: hours
    since 2010-01-01 00:00."""
    _check_fill(fill)
    meta, a = load_bundle("seattle_temps.arrays.xz")
    grid, values = _regular(a["hours"].astype(np.int64), a["temp"][:, None])
    return _series(values, ["temp"], grid, f"hours since {meta['start']}", fill)


def seattle_weather(fill: str = "interpolate") -> TimeSeries:
    """Seattle daily weather 2012-2015 (T = 1,461): ``precipitation`` (mm), ``temp_max``,
    ``temp_min`` (C), ``wind`` (m/s), then the kind of day one-hot (``weather_drizzle``,
    ``weather_fog``, ``weather_rain``, ``weather_snow``, ``weather_sun``).
    ``time``: days since 2012-01-01."""
    _check_fill(fill)
    meta, a = load_bundle("seattle_weather.arrays.xz")
    onehot = np.eye(len(meta["kinds"]), dtype=np.float32)[a["kind"]]      # (T, 5)
    values = np.concatenate([a["values"], onehot], axis=1)                # (T, 9)
    grid, values = _regular(a["days"].astype(np.int64), values)
    columns = meta["columns"] + [f"weather_{k}" for k in meta["kinds"]]
    return _series(values, columns, grid, f"days since {meta['start']}", fill)


def sunspots() -> TimeSeries:
    """Zurich monthly mean sunspot numbers, 1749-01 to 1983-12 (T = 2,820, none missing).
    ``time``: months since year 0 (``year * 12 + month - 1``)."""
    _, a = load_bundle("sunspots.arrays.xz")
    grid, values = _regular(a["month"].astype(np.int64), a["sunspots"][:, None])
    return _series(values, ["sunspots"], grid, "months (year * 12 + month - 1)", "none")
