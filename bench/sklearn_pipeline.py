"""The pipeline a Python user would write for the same job as `panther-anomaly train --rows`: the baseline of the
benchmark. pandas read_csv, log1p, z-scores, LogisticRegression; fit on the earlier 80 % of windows and measure
ROC-AUC on the later 20 %, as our training does. Prints one JSON line: timings in ms, held-out AUC, peak RSS."""

import json
import resource
import sys
import time

start = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

imported = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
read = time.perf_counter()

features = [c for c in frame.columns if c not in ("entity", "window_start", "label", "scenario")]
x = np.log1p(frame[features].clip(lower=0).to_numpy(dtype=np.float64))
y = frame["label"].fillna(0).to_numpy(dtype=np.int8)
order = np.argsort(frame["window_start"].to_numpy(), kind="stable")
cut = int(len(order) * 0.8)
train, holdout = order[:cut], order[cut:]
mean = x[train].mean(axis=0)
std = x[train].std(axis=0)
std[std == 0] = 1.0
z = (x - mean) / std
prepared = time.perf_counter()

model = LogisticRegression(max_iter=1000).fit(z[train], y[train])
fitted = time.perf_counter()
scores = model.predict_proba(z[holdout])[:, 1]
auc = roc_auc_score(y[holdout], scores) if 0 < y[holdout].sum() < len(holdout) else None
done = time.perf_counter()

print(
    json.dumps(
        {
            "importMs": (imported - start) * 1000,
            "readMs": (read - imported) * 1000,
            "prepareMs": (prepared - read) * 1000,
            "fitMs": (fitted - prepared) * 1000,
            "evaluateMs": (done - fitted) * 1000,
            "rocAuc": auc,
            # ru_maxrss is in KiB on Linux.
            "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
)
