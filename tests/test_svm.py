"""The fast SVM path must give scikit-learn's SVC answers exactly."""

import numpy as np
import pytest
from sklearn.svm import SVC

from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.svm import fit_svm, one_hot, ordinal


@pytest.fixture(scope="module")
def ops():
    return ArchTable.load().ops.astype(np.int64)


@pytest.mark.parametrize("kernel", ["poly", "rbf", "linear", "sigmoid"])
@pytest.mark.parametrize("seed,size", [(0, 40), (1, 120), (2, 300)])
def test_fit_and_decisions_equal_sklearn(ops, kernel, seed, size):
    rng = np.random.default_rng(seed)
    train = rng.choice(len(ops), size=size, replace=False)
    labels = rng.integers(0, 2, size=train.size)
    labels[:2] = [0, 1]
    features = one_hot(ops)
    reference = SVC(kernel=kernel, degree=4, gamma="scale", C=1.0).fit(features[train], labels)

    ours = fit_svm(ops[train], labels, kernel=kernel, degree=4, gamma="scale", C=1.0)
    np.testing.assert_array_equal(ours.sv_ops, ops[train][reference.support_])
    np.testing.assert_array_equal(ours.dual_coef, reference.dual_coef_[0])
    assert ours.intercept == reference.intercept_[0]
    assert ours.gamma == reference._gamma

    expected = reference.decision_function(features)
    np.testing.assert_allclose(ours.decision(ops), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.side(ops), reference.predict(features))
    test = rng.choice(len(ops), size=300, replace=False)
    np.testing.assert_array_equal(ours.decision_one_hot(features[test]), ours.decision(ops)[test])


def test_one_hot_marks_one_op_per_edge(ops):
    features = one_hot(ops[:10])
    assert features.shape == (10, 30)
    assert (features.reshape(10, 6, 5).sum(axis=2) == 1).all()
    assert (features.reshape(10, 6, 5).argmax(axis=2) == ops[:10]).all()


@pytest.mark.parametrize("kernel", ["poly", "rbf", "linear", "sigmoid"])
@pytest.mark.parametrize("seed,size", [(0, 40), (1, 120), (2, 300)])
def test_ordinal_fit_and_decisions_equal_sklearn_on_the_authors_features(ops, kernel, seed, size):
    """The authors' encoding (op x 0.2, cake-lab/CE-NAS lamoo/tasks/nasbench201/cifar10.py):
    the same support vectors and predictions as SVC on those six features; coefficients and
    decisions equal to rounding (the kernel's dot product is summed differently)."""
    rng = np.random.default_rng(seed)
    train = rng.choice(len(ops), size=size, replace=False)
    labels = rng.integers(0, 2, size=train.size)
    labels[:2] = [0, 1]
    features = ordinal(ops)
    assert features.max() == pytest.approx(0.8) and np.allclose(features / 0.2, ops)
    reference = SVC(kernel=kernel, degree=4, gamma="scale", C=1.0).fit(features[train], labels)

    ours = fit_svm(ops[train], labels, kernel=kernel, degree=4, gamma="scale", C=1.0, encoding="ordinal")
    np.testing.assert_array_equal(ours.sv_ops, ops[train][reference.support_])
    np.testing.assert_allclose(ours.dual_coef, reference.dual_coef_[0], rtol=1e-7, atol=1e-9)
    assert ours.intercept == pytest.approx(reference.intercept_[0], rel=1e-7, abs=1e-9)
    assert ours.gamma == reference._gamma
    expected = reference.decision_function(features)
    got = ours.decision(ops)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    clear = np.abs(expected) > 1e-6
    np.testing.assert_array_equal((got > 0)[clear], reference.predict(features)[clear] == 1)
    with pytest.raises(ValueError, match="ordinal"):
        ours.decision_one_hot(one_hot(ops[:3]))


def test_unknown_encoding_is_refused(ops):
    with pytest.raises(ValueError, match="encoding"):
        fit_svm(ops[:20], np.arange(20) % 2, encoding="binary")


class _ChangedLibsvm:
    """A future scikit-learn whose private libsvm takes other arguments."""

    @staticmethod
    def set_verbosity_wrap(level):
        pass

    @staticmethod
    def fit(*args, **kwargs):
        raise TypeError("fit() got an unexpected keyword argument 'svm_type'")


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
@pytest.mark.parametrize("kernel", ["poly", "rbf"])
def test_public_svc_fallback_gives_the_same_fit(ops, kernel, encoding, monkeypatch):
    import cenas_gym.search.svm as svm

    assert svm._libsvm is not None  # the fast path is what LaMOO normally runs
    rng = np.random.default_rng(3)
    train = rng.choice(len(ops), size=150, replace=False)
    labels = rng.integers(0, 2, size=train.size)
    fast = fit_svm(ops[train], labels, kernel=kernel, encoding=encoding)
    for broken in (_ChangedLibsvm, None):  # signature changed (TypeError); module gone (ImportError)
        monkeypatch.setattr(svm, "_libsvm", broken)
        if broken is None:
            slow = fit_svm(ops[train], labels, kernel=kernel, encoding=encoding)
        else:
            with pytest.warns(RuntimeWarning, match="SVC\\(kernel='precomputed'\\)"):
                slow = fit_svm(ops[train], labels, kernel=kernel, encoding=encoding)
            assert svm._libsvm is None  # warned once, then the public route
        np.testing.assert_array_equal(slow.sv_ops, fast.sv_ops)
        np.testing.assert_array_equal(slow.dual_coef, fast.dual_coef)
        assert slow.intercept == fast.intercept
        np.testing.assert_array_equal(slow.decision(ops), fast.decision(ops))


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_margin_vectors_of_both_labels_mean_both_sides_predicted(ops, encoding):
    """fit_on_kernel_index(need_sides=False) skips the sides only when they hold both labels,
    and otherwise returns what the full computation returns."""
    from cenas_gym.search.svm import fit_on_kernel_index, gamma_of, kernel_index

    skipped = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        cells = ops[rng.choice(len(ops), size=int(rng.integers(12, 200)), replace=False)]
        labels = (rng.random(len(cells)) < rng.uniform(0.05, 0.95)).astype(np.int64)
        labels[:2] = [0, 1]
        x = one_hot(cells) if encoding == "onehot" else ordinal(cells)
        kwargs = dict(kernel="poly", degree=4, gamma=gamma_of(x, "scale"), C=1.0, encoding=encoding)
        index = kernel_index(cells, cells, "poly", encoding)
        _, full = fit_on_kernel_index(cells, index, labels, **kwargs)
        _, quick = fit_on_kernel_index(cells, index, labels, need_sides=False, **kwargs)
        if quick is None:
            skipped += 1
            assert full.min() == 0 and full.max() == 1
        else:
            np.testing.assert_array_equal(quick, full)
    assert skipped > 0
