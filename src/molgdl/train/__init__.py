"""Lightning training: the predictor module, data module, schedulers, losses, callbacks."""
