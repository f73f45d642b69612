"""Experiments: run a scenario's replications, write run folders, sweeps over designs on local or Dask
executors, the EMA Workbench adapter, and the analysis of sweep results."""
