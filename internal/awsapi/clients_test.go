package awsapi

import (
	"sync"
	"testing"
)

func TestClients(t *testing.T) {
	type client struct{ region string }
	var mu sync.Mutex
	made := map[string]int{}
	c := Clients[*client]{New: func(region string) *client {
		mu.Lock()
		defer mu.Unlock()
		made[region]++
		return &client{region}
	}}
	var wg sync.WaitGroup
	got := make([]*client, 20)
	for i := range got {
		wg.Go(func() { got[i] = c.Get([]string{"us-east-1", "eu-west-1"}[i%2]) })
	}
	wg.Wait()
	for i, cl := range got {
		if want := got[i%2]; cl != want || cl.region != []string{"us-east-1", "eu-west-1"}[i%2] {
			t.Errorf("Get #%d = %p in %s, want the one client %p", i, cl, cl.region, want)
		}
	}
	if made["us-east-1"] != 1 || made["eu-west-1"] != 1 || len(made) != 2 {
		t.Errorf("clients made per region = %v, want one each in us-east-1 and eu-west-1", made)
	}
}
