package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWriteAndString writes from several goroutines while
// reading (go test -race checks the locking) and then finds every write.
func TestConcurrentWriteAndString(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 400) {
		t.Errorf("String() has %d bytes, want 400 x", len(got))
	}
}
