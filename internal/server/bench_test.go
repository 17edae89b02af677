package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
)

// BenchmarkCachedReads measures cached reads over real loopback HTTP: 50
// clients, each on its own keep-alive connection, ask for secrets the
// server has cached, b.N requests in all. It reports requests per second,
// the 50th and 99th percentile latency as the client sees it, and the
// AWS calls the server made (awsstub, an in-memory AWS, counts them).
//
//	go test ./server -run '^$' -bench CachedReads -benchtime 200000x
func BenchmarkCachedReads(b *testing.B) {
	for _, secrets := range []int{1, 100} {
		b.Run(fmt.Sprintf("secrets=%d", secrets), func(b *testing.B) { benchCachedReads(b, 50, secrets) })
	}
}

func benchCachedReads(b *testing.B, clients, secrets int) {
	stub := awsstub.Serve(b, awsstub.Options{})
	paths := make([]string, secrets)
	for i := range paths {
		name := fmt.Sprintf("bench/secret-%d", i)
		stub.PutSecretString(name, fmt.Sprintf(`{"user":"u%d","password":"p-%032d"}`, i, i))
		paths[i] = "/secretsmanager/get?secretId=" + name
	}
	s, err := New(Config{AWS: awsConfig(b, stub.URL()), Token: token, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func(path string) error {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
	for _, p := range paths { // warm the cache
		if err := get(p); err != nil {
			b.Fatal(err)
		}
	}
	stub.ResetCounts()

	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		n := b.N / clients
		if c < b.N%clients {
			n++
		}
		wg.Go(func() {
			l := make([]time.Duration, 0, n)
			for i := range n {
				t0 := time.Now()
				if err := get(paths[(c+i)%len(paths)]); err != nil {
					b.Error(err)
					return
				}
				l = append(l, time.Since(t0))
			}
			lat[c] = l
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	calls := 0
	for _, n := range stub.Counts() {
		calls += n
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(pct(0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(calls), "aws-calls")
	b.ReportMetric(0, "ns/op")
}
