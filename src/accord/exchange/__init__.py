"""Exchange between two deployments: signed, encrypted messages and the keys behind them."""
