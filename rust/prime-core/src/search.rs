//! Population kernels used by the optimisers (batch mutation, crossover, selection).
