"""Provider adapters: everything that knows a provider's vocabulary lives below this package."""
