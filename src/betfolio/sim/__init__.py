"""Match replay, in-play market, fault injection, Gymnasium environments, reward."""
