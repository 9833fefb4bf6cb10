"""The benchmark federation: four Federation 1 subgraphs (SDL files here), their static data and the workload."""
