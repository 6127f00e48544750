"""RLlib PPO on CENAS-v0 with several env runners.

    pip install "ray[rllib]"   # or, keeping gymnasium 1.x: ray + dm-tree lz4 ormsgpack pyarrow tensorboardX
    python examples/rllib_ppo.py --iterations 20 --env-runners 4

Each env runner holds its own ``CENAS-v0`` (a set of training traces, one drawn per
episode, random windows), with the episode-window features the SB3 agent also reads
(``cenas_gym.policies.features.EpisodeWindowFeatures``). ``--optimizer random`` makes episodes ~50x
faster than the default LaMOO proposer (see agents/MODEL_CARD.md).
"""

from __future__ import annotations

import argparse
import json

from cenas_gym.rl import TRAIN_TRACES  # light: no SB3, no torch


def make_env_creator():
    """The env factory RLlib ships to its env runners. Defined inside a function so that
    cloudpickle sends it by value (the runners need not import this script)."""

    def env_creator(env_config: dict):
        import cenas_gym  # noqa: F401  (registers CENAS-v0 in the runner's process)
        from cenas_gym.policies.features import make_env

        config = dict(env_config)
        traces = config.pop("traces", ["US-CAL-CISO:2021"])
        return make_env(traces, config)

    return env_creator


def build_config(args):
    from ray.rllib.algorithms.ppo import PPOConfig

    env_config = {"traces": args.traces, "optimizer": args.optimizer, "budget_hours": args.budget_hours}
    return (
        PPOConfig()
        .environment("CENAS-rllib", env_config=env_config)
        .framework("torch")
        .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=1,
                     rollout_fragment_length="auto", num_cpus_per_env_runner=1)
        .training(train_batch_size_per_learner=args.train_batch, minibatch_size=args.minibatch,
                  num_epochs=args.epochs, lr=3e-4, gamma=0.995, lambda_=0.95, entropy_coeff=0.005)
        .rl_module(model_config={"fcnet_hiddens": [64, 64]})
        .debugging(seed=args.seed)
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--env-runners", type=int, default=2)
    parser.add_argument("--traces", nargs="+", default=list(TRAIN_TRACES))
    parser.add_argument("--optimizer", default="random", choices=["random", "lamoo"])
    parser.add_argument("--budget-hours", type=float, default=80)
    parser.add_argument("--train-batch", type=int, default=4000)
    parser.add_argument("--minibatch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs Ray may use (default: all)")
    parser.add_argument("--save", default=None, help="folder for a final checkpoint")
    args = parser.parse_args(argv)

    import ray
    from ray.tune.registry import register_env

    ray.init(num_cpus=args.num_cpus, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    try:
        register_env("CENAS-rllib", make_env_creator())
        config = build_config(args)
        algo = config.build_algo() if hasattr(config, "build_algo") else config.build()
        last: dict = {}
        for i in range(args.iterations):
            result = algo.train()
            runners = result.get("env_runners", {})
            last = {
                "iteration": i + 1,
                "episode_return_mean": runners.get("episode_return_mean"),
                "num_env_steps_sampled_lifetime": result.get("num_env_steps_sampled_lifetime",
                                                             runners.get("num_env_steps_sampled_lifetime")),
            }
            print(json.dumps(last, default=float), flush=True)
        if args.save:
            algo.save(args.save)
        algo.stop()
        return last
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
