"""Throughput and memory of the envs on one core, optionally side by side with another git ref.

Three measurements, each printed as a table:

1. env steps per second (``reset`` included) of ``CENAS-v0``, ``CENAS-v1`` (fixed-time, 80 h),
   ``CENAS-Target-v1`` and ``CENAS-Geo-v1``, each with LaMOO and with random search as the
   proposer, under two action patterns: ``vanilla`` (every GPU trains every hour) and
   ``heuristic`` (the CE-NAS heuristic; ``geo-heuristic`` on Geo), and the peak resident memory;
2. steps per second over the first and the last 40 hours of a 160-hour ``CENAS-v1`` episode
   with LaMOO (the cost must stay flat as the search grows);
3. resident memory over many ``CENAS-Target-v1`` random-search episodes (this checkout only).

Every figure comes from a worker subprocess that runs one BLAS thread, so one core, and counts
its own CPU time (``time.process_time``: steps per CPU-second, which another job on a shared
machine disturbs less than wall time; on an idle core the two agree). With
``--against REF`` a second worker imports the package of REF (a temporary ``git worktree``,
first on its ``sys.path``, removed afterwards); the workloads alternate between the two
workers, so both see the same machine load, and the same seeds give the same episodes in both
(the trajectories are unchanged), so the ratio compares the same work.

    python benchmarks/perf.py --against 9a0586b --json benchmarks/results/perf/perf.json
    python benchmarks/perf.py --quick      # smoke test: tiny counts, seconds
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core: set before numpy loads (workers inherit it)

import argparse
import importlib
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV_IDS = ("CENAS-v0", "CENAS-v1", "CENAS-Target-v1", "CENAS-Geo-v1")
OPTIMIZERS = ("lamoo", "random")
PATTERNS = {"vanilla": ("vanilla", "geo-vanilla"), "heuristic": ("heuristic", "geo-heuristic")}
#: LaMOO's other options, timed on CENAS-Target-v1 (rows "lamoo:NAME"): LamooConfig fields.
LAMOO_OPTIONS = {"ordinal": {"encoding": "ordinal"}, "svm-split": {"split": "svm"}}
#: Episodes per throughput cell (seeds 0..k-1, random windows), full run and --quick.
EPISODES = {"lamoo": 6, "random": 60}
QUICK_EPISODES = {"lamoo": 1, "random": 2}
LONG_HOURS, LONG_WINDOW_H = 160, 40
LONG_SEEDS = {"lamoo": 2, "random": 20}  # episodes of the long-episode check
MEMORY_EPISODES = 10_000


# ------------------------------------------------------------------------------ worker side
def _rss_mb() -> float:
    """Resident set size of this process now (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _package_name(path: str, name: str, old_path: str) -> Any:
    """``path.name`` of the package being measured; ``old_path.name`` in a ref before the
    0.3 layout (so that ``--against 9a0586b`` measures 0.2.0 with its own modules)."""
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError:
        module = importlib.import_module(old_path)
    return getattr(module, name)


def _policy(env_id: str, pattern: str):
    if env_id == "CENAS-Geo-v1":
        make_geo_policy = _package_name("cenas_gym.policies.geo", "make_geo_policy", "cenas_gym.geo_policies")
        return make_geo_policy(PATTERNS[pattern][1])
    make_policy = _package_name("cenas_gym.policies.play", "make_policy", "cenas_gym.play")
    return make_policy(PATTERNS[pattern][0])


def _play(env, env_id: str, pattern: str, seed: int, step_times: list[float] | None = None) -> int:
    """One episode; returns its steps (and appends each step's seconds to ``step_times``)."""
    obs, info = env.reset(seed=seed)
    policy = _policy(env_id, pattern)
    policy.reset(env.unwrapped.episode_context(), env.unwrapped.policy_rng)
    steps, done = 0, False
    while not done:
        action = policy.act(obs, info)
        t0 = time.process_time()
        obs, _, terminated, truncated, info = env.step(action)
        if step_times is not None:
            step_times.append(time.process_time() - t0)
        steps += 1
        done = terminated or truncated
    return steps


def _make(env_id: str, **kwargs: Any):
    import gymnasium as gym

    import cenas_gym  # noqa: F401  (registers the ids)

    return gym.make(env_id, **kwargs)


def throughput(env_id: str, optimizer: str, pattern: str, episodes: int) -> dict[str, float]:
    """Steps per second over ``episodes`` episodes (reset included, first reset excluded);
    ``optimizer`` ``"lamoo:NAME"`` sets :data:`LAMOO_OPTIONS` ``[NAME]``."""
    kind, _, option = optimizer.partition(":")
    options = {}
    if option:
        LamooConfig = _package_name("cenas_gym.search.lamoo", "LamooConfig", "cenas_gym.lamoo")
        options["lamoo"] = LamooConfig(**LAMOO_OPTIONS[option])
    env = _make(env_id, optimizer=kind, **options)
    env.reset(seed=10**6)  # load the table and traces before timing
    t0 = time.process_time()
    steps = sum(_play(env, env_id, pattern, seed) for seed in range(episodes))
    seconds = time.process_time() - t0
    return {"steps": steps, "seconds": seconds, "steps_per_s": steps / seconds, "peak_rss_mb": _peak_rss_mb()}


def long_episode(optimizer: str, pattern: str, hours: int, window_h: int, seeds: int) -> dict[str, float]:
    """Steps per second of env.step over the first and the last ``window_h`` hours of
    ``hours``-hour CENAS-v1 episodes."""
    env = _make("CENAS-v1", optimizer=optimizer, hours=hours)
    first = last = 0.0
    for seed in range(seeds):
        times: list[float] = []
        _play(env, "CENAS-v1", pattern, seed, times)
        first += sum(times[:window_h])
        last += sum(times[-window_h:])
    n = window_h * seeds
    return {"first_steps_per_s": n / first, "last_steps_per_s": n / last}


def memory(episodes: int) -> dict[str, Any]:
    """Resident memory (MB) along ``episodes`` CENAS-Target-v1 random-search episodes."""
    env = _make("CENAS-Target-v1", optimizer="random")
    marks = sorted({max(1, episodes // 10), episodes // 2, episodes} - {0})
    rows = []
    for seed in range(1, episodes + 1):
        _play(env, "CENAS-Target-v1", "heuristic", seed)
        if seed in marks:
            rows.append({"episodes": seed, "rss_mb": _rss_mb(), "peak_rss_mb": _peak_rss_mb()})
    return {"rows": rows}


def worker() -> None:
    """Answer one JSON request per stdin line with one JSON line on stdout."""
    import warnings

    import cenas_gym

    warnings.filterwarnings("ignore", category=DeprecationWarning)  # CENAS-v0 is "out of date"

    print(json.dumps({"package": cenas_gym.__file__, "version": cenas_gym.__version__}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        kind = request.pop("kind")
        result = {"throughput": throughput, "long": long_episode, "memory": memory}[kind](**request)
        print(json.dumps(result), flush=True)


# ------------------------------------------------------------------------------ driver side
class Worker:
    """A worker subprocess importing the package at ``root``."""

    def __init__(self, root: Path, label: str) -> None:
        self.label = label
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=root,
        )
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.label} worker died (see its error above)")
        return json.loads(line)

    def ask(self, **request: Any) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def machine() -> dict[str, Any]:
    """Cores, CPU model and versions, for the record."""
    model = platform.processor()
    try:
        model = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numpy

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if git("status", "--porcelain", "cenas_gym") else "")
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "numpy": numpy.__version__,
            "load_avg": os.getloadavg(), "this_commit": commit}


def run(args: argparse.Namespace, workers: list[Worker]) -> dict[str, Any]:
    episodes = QUICK_EPISODES if args.quick else EPISODES
    hours, window, seeds = (16, 4, {"lamoo": 1, "random": 1}) if args.quick else (LONG_HOURS, LONG_WINDOW_H, LONG_SEEDS)
    out: dict[str, Any] = {"machine": machine(), "workers": {w.label: w.info for w in workers},
                           "episodes": episodes, "throughput": [], "long": [], "memory": None}
    labels = [w.label for w in workers]
    ratio = len(workers) == 2
    print(f"{out['machine']['nproc']} cores ({out['machine']['cpu']}), one BLAS thread per worker; "
          f"load average {out['machine']['load_avg'][0]:.2f}")
    for w in workers:
        at = f" at {out['machine']['this_commit']}" if w.label == "this" else ""
        print(f"  {w.label}: cenas_gym {w.info['version']} from {w.info['package']}{at}")
    print(f"\n1. env steps/s, reset included; seeds 0..k-1 on random windows "
          f"(k = {episodes['lamoo']} LaMOO, {episodes['random']} random-search episodes); "
          f"lamoo:NAME rows set LaMOO options {LAMOO_OPTIONS}")
    head = f"{'env id':<16} {'proposer':<15} {'actions':<9}" + "".join(f" {lab:>10}" for lab in labels)
    print(head + (f" {'ratio':>7}" if ratio else ""))
    cells = [(env_id, optimizer, pattern) for env_id in ENV_IDS for optimizer in OPTIMIZERS for pattern in PATTERNS]
    cells += [("CENAS-Target-v1", f"lamoo:{name}", pattern) for name in LAMOO_OPTIONS for pattern in PATTERNS]
    for env_id, optimizer, pattern in cells:
        spec = {"env_id": env_id, "optimizer": optimizer, "pattern": pattern}
        cell = dict(spec)
        for w in workers:
            cell[w.label] = w.ask(kind="throughput", episodes=episodes[optimizer.partition(":")[0]], **spec)
        row = f"{env_id:<16} {optimizer:<15} {pattern:<9}" + "".join(
            f" {cell[lab]['steps_per_s']:>10.0f}" for lab in labels)
        if ratio:
            cell["ratio"] = cell[labels[0]]["steps_per_s"] / cell[labels[1]]["steps_per_s"]
            row += f" {cell['ratio']:>6.1f}x"
        print(row, flush=True)
        out["throughput"].append(cell)
    print("peak resident memory after the runs above: " + ", ".join(
        f"{lab} {max(c[lab]['peak_rss_mb'] for c in out['throughput']):.0f} MB" for lab in labels))

    print(f"\n2. CENAS-v1 {hours}-hour episodes (seeds 0..k-1, k = {seeds['lamoo']} LaMOO, {seeds['random']} random search): env.step steps/s over the "
          f"first and the last {window} hours")
    print(f"{'proposer':<8} {'actions':<10} {'worker':<10} {'first':>8} {'last':>8} {'last/first':>10}")
    for optimizer in OPTIMIZERS:
        for pattern in PATTERNS:
            for w in workers:
                result = w.ask(kind="long", optimizer=optimizer, pattern=pattern, hours=hours, window_h=window,
                               seeds=seeds[optimizer])
                result.update(optimizer=optimizer, pattern=pattern, worker=w.label)
                out["long"].append(result)
                print(f"{optimizer:<8} {pattern:<10} {w.label:<10} {result['first_steps_per_s']:>8.0f} "
                      f"{result['last_steps_per_s']:>8.0f} {result['last_steps_per_s'] / result['first_steps_per_s']:>10.2f}",
                      flush=True)

    n = args.memory_episodes if args.memory_episodes is not None else (20 if args.quick else MEMORY_EPISODES)
    if n > 0:
        print(f"\n3. memory along {n} CENAS-Target-v1 random-search episodes (heuristic actions; {labels[0]})")
        out["memory"] = workers[0].ask(kind="memory", episodes=n)
        rows = out["memory"]["rows"]
        for row in rows:
            print(f"  after {row['episodes']:>6} episodes: resident {row['rss_mb']:.0f} MB (peak {row['peak_rss_mb']:.0f} MB)")
        print(f"  growth from episode {rows[0]['episodes']} to {rows[-1]['episodes']}: "
              f"{100 * (rows[-1]['rss_mb'] / rows[0]['rss_mb'] - 1):+.1f} %")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REF", help="also measure this git ref of the package, side by side")
    parser.add_argument("--quick", action="store_true", help="tiny episode counts: a smoke test, not a measurement")
    parser.add_argument("--memory-episodes", type=int, default=None,
                        help=f"episodes of the memory check (default {MEMORY_EPISODES:,}; --quick: 20; 0: skip)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    tmp = None
    workers = [Worker(ROOT, "this")]
    try:
        if args.against:
            tmp = Path(tempfile.mkdtemp(prefix="cenas-perf-")) / "ref"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tmp), args.against],
                           check=True)
            workers.append(Worker(tmp, args.against))
        out = run(args, workers)
    finally:
        for w in workers:
            w.close()
        if tmp is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp)], check=False)
            shutil.rmtree(tmp.parent, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
