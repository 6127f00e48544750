"""Data of the trained agents shipped with cenas-gym (PPO zip, observation stats, hyperparameters, model card)."""
