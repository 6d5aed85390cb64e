"""Worked example: error analysis on scikit-learn's digits, then targeted augmentation.

Run ``python docs/examples/digits_error_analysis.py`` (needs scikit-learn: ``pip install
"augkit[examples]"``). Everything ships offline; the run takes a few seconds and is deterministic.

1. Train a small model (logistic regression) on a small training set, as a team would early on.
2. Analyse the test errors: review a random sample, tag it by true class, confusion pair and
   faint strokes, count with intervals.
3. Plan a budget of new training examples over the top categories and make them by augmenting
   the training images of those classes (small rotations, shears, scale, elastic warp).
4. Compare with spending the same budget on every class alike ("more of everything"), and with
   the targeted data under a class-balanced loss (targeted oversampling shifts the class priors),
   and report the accuracy on the weak classes and overall, whatever it shows.
"""

from __future__ import annotations

import numpy as np

import augkit as ak

BUDGET = 600
TRAIN_SIZE = 300


def data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    order = np.random.default_rng(0).permutation(len(images))
    train, test = order[:TRAIN_SIZE], order[TRAIN_SIZE:]
    return images[train], digits.target[train], images[test], digits.target[test]


def fit_predict(x_train, y_train, x_test, balanced=False):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    model = LogisticRegression(max_iter=3000, class_weight="balanced" if balanced else None)
    # one BLAS thread: the solver's sums (and so a test image or two) otherwise depend on the
    # machine's core count, and this page prints exact numbers
    with threadpool_limits(limits=1):
        model.fit(x_train.reshape(len(x_train), -1), y_train)
        return model.predict(x_test.reshape(len(x_test), -1))


def augment(images, count, seed):
    """``count`` distorted copies of randomly chosen ``images`` (8x8, float32)."""
    pipe = ak.Compose([
        ak.image.Affine(degrees_range=(-12, 12), scale_range=(0.9, 1.1), shear_degrees_range=(-10, 10)),
        ak.image.ElasticWarp(alpha=1.5, sigma=1.5, p=0.5),
    ])
    rng = np.random.default_rng(seed)
    picks = images[rng.integers(len(images), size=count)][..., None]
    return pipe(image=picks, rng=rng)["image"][..., 0]


def accuracy(y_true, y_pred, classes=None):
    sel = np.ones(len(y_true), bool) if classes is None else np.isin(y_true, classes)
    return float((y_true[sel] == y_pred[sel]).mean())


def main(verbose: bool = True) -> dict:
    x_train, y_train, x_test, y_test = data()
    pred = fit_predict(x_train, y_train, x_test)

    ea = ak.analysis.ErrorAnalysis(y_test, pred, seed=0)
    ea.sample(k=100)  # what a person would review by eye
    for d in range(10):
        ea.tag(f"true {d}", lambda i, d=d: ea.y_true[i] == d)
    pairs = {}
    for i in ea.reviewed:
        pairs[(ea.y_true[i], ea.y_pred[i])] = pairs.get((ea.y_true[i], ea.y_pred[i]), 0) + 1
    for (a, b), n in pairs.items():
        if n >= 3:
            ea.tag(f"{a} read as {b}", lambda i, a=a, b=b: (ea.y_true[i], ea.y_pred[i]) == (a, b))
    ink = x_test.reshape(len(x_test), -1).sum(axis=1)
    faint = np.quantile(ink, 0.2)
    ea.tag("faint strokes", lambda i: ink[i] <= faint)
    report = ea.report()

    top = [r["category"] for r in report.rows if r["category"].startswith("true ")][:3]
    weak = [int(c.split()[1]) for c in top]
    plan = ea.plan(budget=BUDGET, categories=top)
    extra_x, extra_y = [], []
    for k, (name, count) in enumerate(plan.counts.items()):
        d = int(name.split()[1])
        extra_x.append(augment(x_train[y_train == d], count, seed=10 + k))
        extra_y.append(np.full(count, d))
    aug_x, aug_y = np.concatenate([x_train, *extra_x]), np.concatenate([y_train, *extra_y])
    targeted = fit_predict(aug_x, aug_y, x_test)
    targeted_balanced = fit_predict(aug_x, aug_y, x_test, balanced=True)  # undo the shift of class priors

    per_class = [BUDGET // 10] * 10
    uni_x = [augment(x_train[y_train == d], n, seed=100 + d) for d, n in enumerate(per_class)]
    uni_y = [np.full(n, d) for d, n in enumerate(per_class)]
    uniform = fit_predict(np.concatenate([x_train, *uni_x]), np.concatenate([y_train, *uni_y]), x_test)

    result = {
        "report": report, "plan": plan.counts, "weak_classes": weak,
        "weak_accuracy": {"before": accuracy(y_test, pred, weak), "targeted": accuracy(y_test, targeted, weak),
                          "targeted_balanced": accuracy(y_test, targeted_balanced, weak),
                          "uniform": accuracy(y_test, uniform, weak)},
        "overall_accuracy": {"before": accuracy(y_test, pred), "targeted": accuracy(y_test, targeted),
                             "targeted_balanced": accuracy(y_test, targeted_balanced),
                             "uniform": accuracy(y_test, uniform)},
    }
    if verbose:
        print(report.to_markdown())
        print(f"plan for {BUDGET} new examples: {plan.counts}\n")
        print("| accuracy | before | + targeted | + targeted, class-balanced loss | + same budget on every class |")
        print("|---|---|---|---|---|")
        for key, label in (("weak_accuracy", f"weak classes {weak}"), ("overall_accuracy", "all classes")):
            a = result[key]
            print(f"| {label} | {a['before']:.3f} | {a['targeted']:.3f} | {a['targeted_balanced']:.3f} "
                  f"| {a['uniform']:.3f} |")
    return result


if __name__ == "__main__":
    main()
