"""Pipeline stage: the step DAG model, KFP v2 code generation and compilation (kfp is imported only to compile)."""
