"""rl-zoo3 hyperparameter files (``agents/ppo.yml``): read them safely, never ``eval``."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ENV_ID = "CENAS-v0"  # the section of the file the shipped agent was trained with


def default_hyperparams_path() -> Path:
    """``agents/ppo.yml`` of a source checkout, else the copy shipped in the wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "agents" / "ppo.yml", here / "agents_data" / "ppo.yml"):
        if candidate.exists():
            return candidate
    try:
        from importlib.resources import files

        return Path(str(files("cenas_gym.agents_data") / "ppo.yml"))
    except (ModuleNotFoundError, TypeError):
        return here.parent / "agents" / "ppo.yml"


_ACTIVATIONS = {"nn.ReLU": "ReLU", "nn.Tanh": "Tanh", "nn.ELU": "ELU", "nn.LeakyReLU": "LeakyReLU", "nn.SiLU": "SiLU"}


def _literal(node: ast.AST) -> Any:
    """A Python literal, where ``dict(k=v, ...)`` and ``nn.<Activation>`` are also allowed.
    Nothing is evaluated: anything else raises ``ValueError``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        if any(kw.arg is None for kw in node.keywords):
            raise ValueError("dict(**...) is not allowed")
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Attribute) and ast.unparse(node) in _ACTIVATIONS:
        import torch.nn as nn

        return getattr(nn, _ACTIVATIONS[ast.unparse(node)])
    return ast.literal_eval(node)


def parse_python_literal(text: str) -> Any:
    """Parse an rl-zoo3 string such as ``"dict(net_arch=[64, 64])"`` safely (no ``eval``)."""
    try:
        return _literal(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError) as err:
        raise ValueError(f"cannot parse {text!r} as a literal / dict(...): {err}") from None


def _linear_schedule(initial: float):
    def schedule(progress_remaining: float) -> float:
        return progress_remaining * initial

    return schedule


def load_hyperparams(path: str | Path | None = None, env_id: str = ENV_ID) -> dict[str, Any]:
    """Read the ``env_id`` section of an rl-zoo3 hyperparameter file.

    Returns a dict with ``n_envs`` (int), ``n_timesteps`` (int), ``policy`` (str),
    ``normalize`` (dict of ``VecNormalize`` options, or ``None``), ``policy_kwargs`` (dict),
    ``env_kwargs`` (dict), ``env_wrapper`` (str or ``None``) and the remaining PPO
    arguments (``learning_rate`` as a float or, for rl-zoo3's ``"lin_X"``, a linear
    schedule; ``n_steps``, ``batch_size``, ``gamma``, ``gae_lambda``, ``ent_coef``, ...).
    Strings such as ``"dict(net_arch=[64, 64])"`` are parsed with ``ast`` (never ``eval``).
    """
    import yaml

    path = Path(path) if path is not None else default_hyperparams_path()
    if not path.exists():
        raise FileNotFoundError(f"hyperparameter file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict) or env_id not in data:
        raise ValueError(f"{path}: no section for {env_id!r}")
    raw = dict(data[env_id])
    out: dict[str, Any] = {}
    out["n_envs"] = int(raw.pop("n_envs", 1))
    out["n_timesteps"] = int(float(raw.pop("n_timesteps", 100_000)))
    out["policy"] = str(raw.pop("policy", "MlpPolicy"))
    normalize = raw.pop("normalize", False)
    if isinstance(normalize, str):
        normalize = parse_python_literal(normalize)
    if normalize is True:
        normalize = {"norm_obs": True, "norm_reward": True}
    out["normalize"] = dict(normalize) if normalize else None
    for key in ("policy_kwargs", "env_kwargs"):
        value = raw.pop(key, None) or {}
        out[key] = parse_python_literal(value) if isinstance(value, str) else dict(value)
    out["env_wrapper"] = raw.pop("env_wrapper", None)
    lr = raw.pop("learning_rate", 3e-4)
    if isinstance(lr, str) and lr.startswith("lin_"):
        lr = _linear_schedule(float(lr[4:]))
    out["learning_rate"] = float(lr) if not callable(lr) else lr
    for key, value in raw.items():
        if isinstance(value, str) and key != "device":
            try:
                value = float(value) if re.fullmatch(r"[-+0-9.eE]+", value) else value
            except ValueError:
                pass
        out[key] = value
    for key in ("n_steps", "batch_size", "n_epochs"):
        if key in out:
            out[key] = int(out[key])
    return out
