"""``validate`` as an explicit list of stages: load (with schema and type checks), lint
(time that is legal but probably wrong), and the solver (conditions read for meaning)."""
