"""Decoders: every decoding rule as a policy from an action-value function (methods.md section 6)."""
