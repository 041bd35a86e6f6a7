"""The synthetic generator: reproducible, in the contract, labelled, realistic in shape."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.contract import schemas
from analysis.stats import synthetic


def test_reproducible_and_seed_dependent():
    a = synthetic.generate_cases(500, seed=1)
    b = synthetic.generate_cases(500, seed=1)
    c = synthetic.generate_cases(500, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["received_date"].equals(c["received_date"])


def test_meets_contract_and_is_labelled():
    df = synthetic.generate_cases(2000, seed=3)
    schemas.validate("cases", df, origin="synthetic")
    assert df["synthetic"].all() and df["source"].eq("synthetic").all()
    assert synthetic.is_synthetic(df)
    assert df["case_id"].is_unique
    assert "medical" in set(df["basis"])
    assert set(df["outcome"]) == {"approved", "denied", "withdrawn", "pending"}


def test_censoring_and_skew():
    df = synthetic.generate_cases(5000, seed=4, as_of="2024-09-30")
    pending = df["outcome"].eq("pending")
    assert pending.any() and df.loc[pending, "decided_date"].isna().all()
    assert (df.loc[~pending, "decided_date"] <= pd.Timestamp("2024-09-30")).all()
    assert (df["received_date"] <= pd.Timestamp("2024-09-30")).all()
    days = (df["decided_date"] - df["received_date"]).dt.days.dropna()
    assert (days >= 0).all()
    assert days.mean() > days.median()  # right-skewed
    med = df[~pending].assign(d=days).groupby("basis")["d"].median()
    assert med["medical"] < med["humanitarian-other"]


def test_is_synthetic_and_title():
    real = pd.DataFrame({"source": ["case-records"], "synthetic": [False]})
    assert not synthetic.is_synthetic(real)
    assert synthetic.is_synthetic(pd.DataFrame({"source": ["synthetic"]}))
    assert synthetic.title("Waits", real) == "Waits"
    assert synthetic.title("Waits", synthetic.generate_cases(3)) == "SYNTHETIC: Waits"
    out = synthetic.mark(pd.DataFrame({"x": [1]}), True)
    assert out.attrs["label"] == "SYNTHETIC" and out["label"].tolist() == ["SYNTHETIC"]


def test_bad_arguments():
    with pytest.raises(ValueError):
        synthetic.generate_cases(-1)
    with pytest.raises(ValueError):
        synthetic.generate_cases(5, start="2024-01-01", as_of="2023-01-01")
    assert len(synthetic.generate_cases(0)) == 0
