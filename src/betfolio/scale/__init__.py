"""Scale-out on Ray: seeds, sweeps and backtest grids as Ray tasks, locally or on a cluster by address.

Everything here is optional (the `ray` extra). The jobs themselves (:mod:`betfolio.jobs`) know nothing of Ray:
this package only decides *where* each independent unit of work runs — one seed, one trial, one grid cell —
and gathers the results in input order, so a Ray run and a sequential run give the same numbers.
"""
