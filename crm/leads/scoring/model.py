"""A small logistic regression over one-hot features, fitted by Newton's method with L2.

Pure Python on purpose: the feature space is a few hundred one-hot columns at most and
closed-lead history is thousands to tens of thousands of rows, which Newton's method
fits in a handful of iterations without pulling in numpy or scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Fitted:
    intercept: float
    weights: list[float]

    def logit(self, active: Sequence[int]) -> float:
        return self.intercept + sum(self.weights[j] for j in active)

    def probability(self, active: Sequence[int]) -> float:
        return sigmoid(self.logit(active))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; the L2 term keeps the matrix well-conditioned."""
    n = len(vector)
    a = [[*row[:], vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        head = a[col][col]
        if abs(head) < 1e-12:
            continue
        for row in range(col + 1, n):
            factor = a[row][col] / head
            if factor:
                target, source = a[row], a[col]
                for k in range(col, n + 1):
                    target[k] -= factor * source[k]
    solution = [0.0] * n
    for row in range(n - 1, -1, -1):
        head = a[row][row]
        if abs(head) < 1e-12:
            continue
        total = a[row][n] - sum(a[row][k] * solution[k] for k in range(row + 1, n))
        solution[row] = total / head
    return solution


def fit(
    rows: Sequence[Sequence[int]], labels: Sequence[int], n_features: int, *, l2: float = 1.0, iterations: int = 25
) -> Fitted:
    """Fit P(label = 1) on binary features given as lists of active column indices.

    Column 0 of the Newton system is the intercept (not penalised); column j + 1 is feature j.
    """
    size = n_features + 1
    theta = [0.0] * size
    for _ in range(iterations):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for active, label in zip(rows, labels, strict=True):
            columns = [0, *(j + 1 for j in active)]
            p = sigmoid(sum(theta[c] for c in columns))
            error, w = p - label, p * (1.0 - p)
            for c in columns:
                gradient[c] += error
                line = hessian[c]
                for d in columns:
                    line[d] += w
        for c in range(1, size):
            gradient[c] += l2 * theta[c]
            hessian[c][c] += l2
        hessian[0][0] += 1e-9
        step = _solve(hessian, gradient)
        theta = [t - s for t, s in zip(theta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return Fitted(intercept=theta[0], weights=theta[1:])


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None when a class is missing."""
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        average_rank = (i + j) / 2 + 1
        rank_sum += average_rank * sum(1 for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def deciles(scores: Sequence[float], labels: Sequence[int], buckets: int = 10) -> list[dict[str, float | int]]:
    """Calibration: per score decile (lowest first), how many, mean predicted and observed rate."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    result: list[dict[str, float | int]] = []
    n = len(order)
    for bucket in range(buckets):
        chunk = order[bucket * n // buckets : (bucket + 1) * n // buckets]
        if not chunk:
            continue
        result.append(
            {
                "decile": bucket + 1,
                "n": len(chunk),
                "predicted": round(sum(scores[i] for i in chunk) / len(chunk), 4),
                "observed": round(sum(labels[i] for i in chunk) / len(chunk), 4),
            }
        )
    return result
