package awsapi

import "sync"

// Clients holds one client per region, each made on first use by New.
// Its zero value with New set is ready; it is safe for concurrent use.
type Clients[T any] struct {
	New func(region string) T

	mu sync.Mutex
	m  map[string]T
}

// Get returns region's client, making it on the first call.
func (c *Clients[T]) Get(region string) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.m[region]
	if !ok {
		if c.m == nil {
			c.m = make(map[string]T)
		}
		cl = c.New(region)
		c.m[region] = cl
	}
	return cl
}
