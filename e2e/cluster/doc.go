// Package cluster tests the simulated cluster of internal/simcluster: the
// controllers, the scheduler and kwok together make workloads behave as on a
// real cluster, and Stop leaves nothing behind.
package cluster
