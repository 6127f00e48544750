"""The CE-NAS authors' A3C agent as a baseline policy, ``a3c-cenas``.

A re-implementation of the agent in cake-lab/CE-NAS @ 42fcf77 (``cenas_RL.py``, ``A3C.py``,
``RLnet.py``, ``a3c_params.py``), trained online during the run as the authors' code trains
it: a fresh, untrained agent at every episode (``A3C(..., load_checkpoint=False)``), one
gradient step after every hour on that hour's single transition. It needs PyTorch
(``pip install "cenas-gym[rl]"``), imported only when the policy is reset.

State (4 features, ``a3c_params.set_state``), before step ``s`` (0-based) of an
``n_steps`` run, with the authors' hour counter ``cur_time = s + 1``:

1. ``(n_steps - cur_time) / 40``: the remaining budget over ``a3c_params.budget = 40``
   (the authors' run uses ``--budget 80``, so this runs from 1.975 down to 0; kept);
2. ``(C_now - C_min) / (C_max - C_min) - 0.5`` with C_min/C_max over the trace from the
   run's start to its end (``carbon_reader.py``) and C_now the intensity the step is charged
   at (the authors read ``carbon_trace[cur_time]`` for both);
3. ``HV / max HV`` now (``hv_rate``); see the fixed bug below;
4. the number of trained architectures, raw (``t_samples``: the initial ones included,
   not normalised).

Action: 10 outputs (``action_len = 10``); action ``a`` trains
``max(int(n_gpus x min(a, 9) / 10), 1)`` GPUs (``cenas_RL.py`` ``main_loop``), i.e.
1, 1, 1, 2, 3, 4, 4, 5, 6, 7 GPUs with 8 GPUs: never all nor none.

Network (``RLnet.py``): actor and critic are 4 -> 100 -> 150 -> 200 -> 100 fully connected
layers without bias and with sigmoid activations (Xavier-uniform weights), then a linear
output (Kaiming-uniform weights): softmax over 10 actions for the actor, one value for the
critic. ``A3C.py``: RMSprop (alpha 0.9, eps 1e-10), actor lr 1e-4, critic lr 0.1, discount
0.99, entropy weight 0.5, ``model_type = 0`` (the critic regresses the discounted return).
Actions are sampled from the softmax.

Reward (``a3c_params.get_reward``) for the step just played:
``20 x (HV gain / max HV) x ratio - (carbon_g / n_gpus) x 2 / C_max + 0.05 x trained``,
``ratio = 0.8 x (40 - (n_steps - cur_time)) / 40 + 0.8`` (``get_reward`` subtracts the
remaining budget of the 80-h run from its own ``budget = 40``: with 80 steps the ratio runs
0.02, 0.04, ..., 1.6; kept), carbon this step in gCO2eq (the authors' code charges 1 kW
per training GPU: use ``accounting="cenas"`` for their figures), ``trained`` the
architectures finished this step.

Fixed bug (HV freeze): the authors' ``main_loop`` builds the state with ``cur_hv=hv``, where
``hv`` is the hypervolume of the initial samples computed once before the loop in
``__main__``; the loop stores each hour's hypervolume in ``timestamp[...]['hv']`` but never
updates ``hv``, so the agent's HV feature stays at its initial value for the whole run.
Here feature 3 is the current hypervolume.

Other simplifications: the authors' hourly loop runs one process per GPU; here the agent
sees the simulator's records (:mod:`cenas_gym.sim.episodes`). The last step's reward is not
learned from (the episode ends; a fresh agent starts the next one). Randomness: the
networks' initial weights (torch's generator seeded from the policy's numpy generator,
inside ``torch.random.fork_rng`` so the global torch state is untouched) and the sampled
actions (the policy's generator): same seed, same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cenas_gym.sim.episodes import EpisodeContext

ACTION_LEN = 10  # a3c_params.action_len
AUTHORS_RL_BUDGET_STEPS = 40  # a3c_params.budget (the run itself uses --budget 80)
HIDDEN = (100, 150, 200, 100)  # RLnet.py l1..l4_neurons
HV_WEIGHT = 20.0  # a3c_params.alpha
CARBON_WEIGHT_TIMES_C_MAX = 2.0  # a3c_params.beta = 2 / max_carbon
SAMPLES_WEIGHT = 0.05  # a3c_params.gamma
DISCOUNT = 0.99  # A3C.discount
ENTROPY_WEIGHT = 0.5  # A3C.entropy_weight
ACTOR_LR, CRITIC_LR = 1e-4, 1e-1  # A3C.__init__ defaults
RMSPROP_ALPHA, RMSPROP_EPS = 0.9, 1e-10


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "policy 'a3c-cenas' needs PyTorch: pip install \"cenas-gym[rl]\" (or a CPU build of torch)"
        ) from None
    return torch


def n_train_of_action(action: int, n_gpus: int) -> int:
    """Training GPUs for an action index 0..9 (cake-lab/CE-NAS ``cenas_RL.py``)."""
    vanilla_rate = min(float(action), ACTION_LEN - 1.0) / ACTION_LEN
    return max(int(n_gpus * vanilla_rate), 1)


def a3c_state(
    step: int, n_steps: int, intensity: float, c_min: float, c_max: float, hv_normalized: float, n_trained: int
) -> np.ndarray:
    """The authors' 4 features before step ``step`` (0-based), HV freeze fixed (see module)."""
    cur_time = step + 1
    relative = 0.0 if c_max == c_min else (intensity - c_min) / (c_max - c_min)
    return np.array(
        [(n_steps - cur_time) / AUTHORS_RL_BUDGET_STEPS, relative - 0.5, hv_normalized, float(n_trained)],
        dtype=np.float32,
    )


def a3c_reward(
    step: int, n_steps: int, hv_gain_normalized: float, carbon_g: float, n_gpus: int, c_max: float, n_trained_step: int
) -> float:
    """The authors' reward for step ``step`` (0-based), as ``a3c_params.get_reward`` computes it."""
    cur_time = step + 1
    cur_step = AUTHORS_RL_BUDGET_STEPS - (n_steps - cur_time)
    ratio = cur_step / AUTHORS_RL_BUDGET_STEPS * 0.8 + 0.8
    return (
        HV_WEIGHT * hv_gain_normalized * ratio
        - carbon_g / n_gpus * (CARBON_WEIGHT_TIMES_C_MAX / c_max)
        + SAMPLES_WEIGHT * n_trained_step
    )


def _networks(torch, seed: int):
    nn = torch.nn

    def body():
        layers, width = [], 4
        for out in HIDDEN:
            layer = nn.Linear(width, out, bias=False)
            nn.init.xavier_uniform_(layer.weight)
            layers += [layer, nn.Sigmoid()]
            width = out
        return layers, width

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers, width = body()
        head = nn.Linear(width, ACTION_LEN)
        nn.init.kaiming_uniform_(head.weight)
        actor = nn.Sequential(*layers, head, nn.Softmax(dim=-1))
        layers, width = body()
        head = nn.Linear(width, 1)
        nn.init.kaiming_uniform_(head.weight)
        critic = nn.Sequential(*layers, head)
    return actor, critic


class A3CCenasPolicy:
    """The authors' A3C agent, trained online within each episode (see the module docstring)."""

    name = "a3c-cenas"
    needs_observation = False  # reads the simulator's info dict: runs on the fast path

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        torch = self._torch = _torch()
        self.ctx, self.rng = context, rng
        rest = context.rest_of_trace()
        self.c_min, self.c_max = float(rest.min()), float(rest.max())
        if not self.c_max > 0:
            raise ValueError("a3c-cenas: the trace's maximum intensity must be > 0 (the reward divides by it)")
        self.actor, self.critic = _networks(torch, int(rng.integers(2**62)))
        rmsprop = dict(alpha=RMSPROP_ALPHA, eps=RMSPROP_EPS)
        self.actor_opt = torch.optim.RMSprop(self.actor.parameters(), lr=ACTOR_LR, **rmsprop)
        self.critic_opt = torch.optim.RMSprop(self.critic.parameters(), lr=CRITIC_LR, **rmsprop)
        self._pending: tuple[Any, int, float, int] | None = None  # (state, action, HV before, step)
        self.rewards: list[float] = []  # rewards learned from, in order

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        torch = self._torch
        threads = torch.get_num_threads()
        if threads == 1:
            return self._act(info)
        torch.set_num_threads(1)  # tiny networks: extra threads only cost (measured 10x on 2 cores)
        try:
            return self._act(info)
        finally:
            torch.set_num_threads(threads)

    def _act(self, info: dict[str, Any]) -> int:
        torch = self._torch
        step = int(info["step"])
        hv = float(info["hv_normalized"])
        if self._pending is not None:
            self._learn(info, hv)
        state = a3c_state(step, self.ctx.n_steps, self.ctx.now(step), self.c_min, self.c_max, hv, int(info["n_trained"]))
        state_t = torch.from_numpy(state).unsqueeze(0)
        with torch.no_grad():
            probs = self.actor(state_t)[0].double().numpy()
        cdf = np.cumsum(probs)
        action = int(min(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"), ACTION_LEN - 1))
        self._pending = (state_t, action, hv, step)
        return n_train_of_action(action, self.ctx.n_gpus)

    def _learn(self, record: dict[str, Any], hv_now: float) -> None:
        """One A3C update on the last transition (``A3C.getNetworkGradient`` + ``updateNetwork``)."""
        torch = self._torch
        state_t, action, hv_before, step = self._pending
        reward = a3c_reward(
            step, self.ctx.n_steps, hv_now - hv_before, float(record["carbon_g"]), self.ctx.n_gpus, self.c_max,
            int(record["n_trained_step"]),
        )
        self.rewards.append(reward)
        ret = torch.tensor([[reward]], dtype=torch.float32)  # one transition: R = r
        with torch.no_grad():
            value = self.critic(state_t).squeeze()
        advantage = ret - value
        dist = torch.distributions.Categorical(self.actor(state_t))
        actor_loss = torch.sum(dist.log_prob(torch.tensor([action])) * (-advantage))
        entropy_loss = -ENTROPY_WEIGHT * torch.sum(dist.entropy())
        (actor_loss + entropy_loss).backward()
        critic_loss = torch.nn.functional.mse_loss(self.critic(state_t).squeeze().expand_as(ret), ret)
        critic_loss.backward()
        self.actor_opt.step()
        self.actor_opt.zero_grad()
        self.critic_opt.step()
        self.critic_opt.zero_grad()
