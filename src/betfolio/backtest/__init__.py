"""Walk-forward backtesting and evaluation."""
